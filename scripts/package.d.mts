/** Writes `release/synclens-extension-<version>.zip` from dist/ (chrome) or `…-firefox.zip` from dist-firefox/, and returns its path. */
export function packageExtension(browser?: "chrome" | "firefox"): string;
