// The DevTools page only registers the panel. `chrome.devtools` is called directly: Chrome's native
// `browser` object lacks `devtools`, so webextension-polyfill cannot provide it.
chrome.devtools.panels.create("SyncLens", "", "devtools-panel/index.html");
