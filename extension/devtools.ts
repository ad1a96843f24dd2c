// The DevTools page only registers the panel. `chrome.devtools` is called directly: Chrome's native
// `browser` object lacks `devtools`, so webextension-polyfill cannot provide it.
// From the extension's root: Firefox resolves a relative path against this page (extension/), Chrome against the root.
chrome.devtools.panels.create("SyncLens", "", "/devtools-panel/index.html");
