// One HTTP call against a latchkey listener, returning everything a test may want to assert on.

// `body` is JSON-encoded; `rawBody` is sent as is (both get Content-Type application/json unless `headers` says
// otherwise). `apiKey` goes into the Hanko `apiKey` header; pass '' to send an empty header.
export async function api(base, method, path, { apiKey, body, headers = {}, rawBody } = {}) {
  const sent = {};
  if (apiKey !== undefined) sent.apiKey = apiKey;
  const payload = rawBody !== undefined ? rawBody : body !== undefined ? JSON.stringify(body) : undefined;
  if (payload !== undefined) sent['Content-Type'] = 'application/json';
  Object.assign(sent, headers);
  const url = base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
  const response = await fetch(url, {
    method,
    headers: sent,
    body: payload,
    redirect: 'manual',
  });
  const text = await response.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}
