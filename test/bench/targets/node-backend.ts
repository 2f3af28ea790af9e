import { createServer } from 'node:http';
import { announceListening } from './target-protocol.js';


// The backend used when nginx is not installed: a fixed small body on every path.
const body = Buffer.from('ok\n');
const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) };

const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address !== null) announceListening(address.port);
});
