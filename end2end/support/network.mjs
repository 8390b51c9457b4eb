// A stretch of network between a browser and the server that the test can cut: a TCP proxy on
// loopback. `cut()` stops passing bytes either way without closing anything (a phone in a tunnel:
// the connections look open, nothing arrives); `restore()` lets through what waited, including a
// close the server sent meanwhile.
import { createServer, connect } from 'node:net';

export async function startNetwork(targetUrl) {
  const target = new URL(targetUrl);
  const pairs = new Set();
  let cut = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair = [client, upstream];
    pairs.add(pair);
    if (cut) pair.forEach((s) => s.pause());
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut() {
      cut = true;
      for (const pair of pairs) pair.forEach((s) => s.pause());
    },
    restore() {
      cut = false;
      for (const pair of pairs) pair.forEach((s) => s.resume());
    },
    async stop() {
      for (const pair of pairs) pair.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
