import { STATUS_CODES } from 'node:http';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML: an error message may quote the request's path or a name a client chose. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/**
 * The page a browser gets for an error: the site's header and style, the status, the message and
 * the code (the same words the JSON error has, so a person can quote either), and a way home.
 */
export function errorPage(status: number, code: string, message: string): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const capital = message.charAt(0).toUpperCase() + message.slice(1);
  const sentence = /[.!?]$/.test(capital) ? capital : `${capital}.`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Pied Piper</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<header class="top"><a class="brand" href="/">Pied Piper</a><nav><a href="/upload">Upload</a><a href="/files">Files</a><a href="/status">Status</a></nav></header>
<main class="error-page">
<h1>${escapeHtml(title)}</h1>
<p class="lead" id="error-message">${escapeHtml(sentence)}</p>
<p class="note">Error code <code id="error-code">${escapeHtml(code)}</code></p>
<p><a class="button" href="/">Back to the home page</a></p>
</main>
</body>
</html>
`;
}
