/** Debian's Firefox ESR, never a downloaded build. */
export const FIREFOX_PATH = process.env["FIREFOX_PATH"] ?? "/usr/bin/firefox-esr";
