// Pages for browser tests, served from their own origin so that they call latchkey cross-origin as a web app does.
import { createServer } from 'node:http';

// An HTTP server on its own port that answers GET `path` with `pages[path]` (HTML) and 404 otherwise; `pages` may
// gain entries after it starts. Served as `localhost`, another site than latchkey's listeners on 127.0.0.1.
export async function startPageServer(pages) {
  const server = createServer((req, res) => {
    const page = req.method === 'GET' ? pages[new URL(req.url, 'http://x').pathname] : undefined;
    if (page === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(page);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, origin: `http://localhost:${server.address().port}` };
}

export const closeServer = (server) => new Promise((resolve) => (server ? server.close(resolve) : resolve()));
