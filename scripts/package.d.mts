/** Writes `release/synclens-extension-<version>.zip` from dist/ and returns its path. */
export function packageExtension(): string;
