// Posts `count` messages spread over `chats` chats (web chat names `<prefix><n>`) with a
// fixed number of requests in flight, then prints how many were accepted.
// Usage: node fill.mjs '{"url","cookie","prefix","chats","count","concurrency"}'
const { url, cookie, prefix, chats, count, concurrency } = JSON.parse(process.argv[2]);

let next = 0;
let accepted = 0;
async function worker() {
  while (next < count) {
    const index = next++;
    const response = await fetch(`${url}/web/chats/${prefix}${index % chats}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ text: `message ${index} of the memory benchmark` }),
    });
    if (response.status === 202) accepted += 1;
    await response.arrayBuffer();
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
process.stdout.write(JSON.stringify({ accepted }) + "\n");
