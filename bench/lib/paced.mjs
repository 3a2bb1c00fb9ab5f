// Posts chat messages at a fixed rate and reports how many were accepted. Started as a
// child process by the latency benchmark.
// Usage: node paced.mjs '{"url","cookie","chats","rate","seconds"}'
const { url, cookie, chats, rate, seconds } = JSON.parse(process.argv[2]);

const total = Math.max(1, Math.round(rate * seconds));
const intervalMs = 1000 / rate;
const started = performance.now();
let accepted = 0;
const pending = [];

for (let index = 0; index < total; index += 1) {
  const due = started + index * intervalMs;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  const chat = chats[index % chats.length];
  pending.push(
    fetch(`${url}/web/chats/${chat}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ text: `paced ${index}` }),
    }).then((response) => {
      if (response.status === 202) accepted += 1;
      return response.arrayBuffer();
    }),
  );
}
await Promise.all(pending);
process.stdout.write(JSON.stringify({ sent: total, accepted }) + "\n");
