// The Content-Security-Policy of the app's pages, the same in Electron and in web mode.

/** Nothing remote, no eval, no plugins: only the app's own scripts and its own connection. */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // React Flow and xterm.js position elements with inline style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
