/**
 * Stand-ins for the seed lab's workloads, run as real processes in pod network namespaces:
 *   echo         - prints its hostname and the request (like the lab's echo-1/echo-2)
 *   details      - bookinfo details: GET /details/<id> returns the book JSON
 *   productpage  - bookinfo product page HTML
 *   ratings      - bookinfo ratings: GET /ratings/<id> returns two reviewers' stars
 *   reviews      - bookinfo reviews: GET /reviews/<id> returns the two reviews
 *   tls-static   - an HTTPS server with its own certificate (the lab's nginx for TLS passthrough)
 *   hello        - answers "hello" and nothing else (throughput benchmarks)
 * Usage: server.ts <kind> <port> [certFile keyFile]
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const name = process.env.POD_NAME ?? os.hostname();

const book = (id: number) => ({
  id,
  author: 'William Shakespeare',
  year: 1595,
  type: 'paperback',
  pages: 200,
  publisher: 'PublisherA',
  language: 'English',
  'ISBN-10': '1234567890',
  'ISBN-13': '123-1234567890',
});

/** A bookinfo JSON service: GET /<service>/<numeric id>, else 400 as bookinfo answers. */
function bookinfoJson(service: string, body: (id: string) => object): Handler {
  return (req, res) => {
    const m = new RegExp(`^/${service}/(\\d+)`).exec(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.statusCode = m ? 200 : 400;
    res.end(JSON.stringify(m ? body(m[1]!) : { error: 'please provide numeric product ID' }));
  };
}

const handlers: Record<string, Handler> = {
  echo(req, res) {
    const url = new URL(req.url ?? '/', 'http://x');
    const headers = Object.entries(req.headers)
      .map(([k, v]) => `\t${k}=${String(v)}  `)
      .join('\n');
    res.setHeader('content-type', 'text/plain');
    res.end(
      `\n\nHostname: ${name}\n\nPod Information:\n\tpod name:\t${name}\n\tpod IP:\t${process.env.POD_IP ?? ''}\n\n` +
        `Request Information:\n\tclient_address=${req.socket.remoteAddress}\n\tmethod=${req.method}\n` +
        `\treal path=${url.pathname}\n\tquery=${url.search.slice(1)}\n\trequest_version=${req.httpVersion}\n\n` +
        `Request Headers:\n${headers}\n`,
    );
  },
  details(req, res) {
    const m = /^\/details\/(\d+)/.exec(req.url ?? '');
    if (!m) {
      res.statusCode = 404;
      res.end('{"error":"please provide numeric product id"}');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(book(Number(m[1]))));
  },
  ratings: bookinfoJson('ratings', (id) => ({ id: Number(id), ratings: { Reviewer1: 5, Reviewer2: 4 } })),
  reviews: bookinfoJson('reviews', (id) => ({
    id,
    podname: name,
    clustername: 'null',
    reviews: [
      {
        reviewer: 'Reviewer1',
        text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!',
      },
      {
        reviewer: 'Reviewer2',
        text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.',
      },
    ],
  })),
  productpage(_req, res) {
    res.setHeader('content-type', 'text/html');
    res.end(
      '<html><head><title>Simple Bookstore App</title></head><body>\n' +
        '<p>Hello! This is a simple bookstore application consisting of three services as shown below</p>\n' +
        '</body></html>\n',
    );
  },
  hello(_req, res) {
    res.end('hello');
  },
  'tls-static'(_req, res) {
    res.setHeader('content-type', 'text/html');
    res.end(
      '<html>\n<h1>Welcome to our webserver listening on port 443.</h1>\n</br>\n<h1>Cilium rocks.</h1>\n</html\n',
    );
  },
};

const [kind = '', portArg = '', certFile, keyFile] = process.argv.slice(2);
const handler = handlers[kind];
const port = Number(portArg);
if (!handler || !Number.isInteger(port)) {
  console.error(`usage: server.ts <${Object.keys(handlers).join('|')}> <port> [cert key]`);
  process.exit(2);
}
const server =
  certFile && keyFile
    ? https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, handler)
    : http.createServer(handler);
server.listen(port, '0.0.0.0', () => console.log(`${kind} ${name} listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
