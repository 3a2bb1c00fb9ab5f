// The arizuko web chat page: one chat (named in the URL hash, else a new random name
// kept in localStorage), its history and live events over SSE, and a composer.
// Text is always inserted as text, never as HTML.
"use strict";

(function () {
  const CHAT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
  const list = document.getElementById("messages");
  const typing = document.getElementById("typing");
  const connection = document.getElementById("connection");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const seen = new Set();

  function hashName() {
    try {
      return decodeURIComponent(location.hash.slice(1));
    } catch {
      return ""; // a malformed escape in the hash: fall back to the stored name
    }
  }

  function chatName() {
    const fromHash = hashName();
    if (CHAT_PATTERN.test(fromHash)) return fromHash;
    let name = localStorage.getItem("arizuko.chat");
    if (!name || !CHAT_PATTERN.test(name)) {
      name = "chat-" + Math.random().toString(36).slice(2, 10);
      localStorage.setItem("arizuko.chat", name);
    }
    history.replaceState(null, "", "#" + name);
    return name;
  }

  const chat = chatName();
  const base = "/web/chats/" + encodeURIComponent(chat);
  document.getElementById("chat-name").textContent = "chat " + chat;

  function show(message) {
    if (seen.has(message.seq)) return;
    seen.add(message.seq);
    const item = document.createElement("li");
    item.dataset.seq = String(message.seq);
    // A group handing the conversation to another (delegation) writes as local:<folder>.
    const handOff = !message.from_agent && message.sender.startsWith("local:");
    if (!message.from_agent && !handOff) item.classList.add("mine");
    if (message.kind === "notice" || handOff) item.classList.add("notice");
    const meta = document.createElement("span");
    meta.className = "meta";
    const who = message.from_agent
      ? (message.group || "agent")
      : handOff
        ? message.sender.slice("local:".length) + " → " + (message.group || "another group")
        : (message.sender_name || "you");
    meta.textContent = who + " · " + new Date(message.ts).toLocaleTimeString();
    item.append(meta, document.createTextNode(message.text));
    list.append(item);
    item.scrollIntoView({ block: "end" });
  }

  // EventSource retries dropped streams by itself, but gives up for good on an error
  // status (404 for someone else's chat, 5xx); then ask the API why and say so.
  async function explainClosed() {
    const response = await fetch(base + "/messages?limit=1").catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    const reason = (body.error && body.error.message) || (response ? "HTTP " + response.status : "the server is unreachable");
    connection.textContent = "disconnected: " + reason + " (reload to retry)";
  }

  const events = new EventSource(base + "/events");
  events.addEventListener("open", () => { connection.textContent = "connected"; });
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) explainClosed();
    else connection.textContent = "reconnecting…";
  });
  events.addEventListener("message", (event) => show(JSON.parse(event.data)));
  events.addEventListener("typing", (event) => { typing.hidden = !JSON.parse(event.data).active; });
  events.addEventListener("reset", () => { list.replaceChildren(); seen.clear(); });

  // The id of a message that failed to send, kept while its text is unchanged, so a
  // retry of a post that did reach the server is stored once.
  let pending = null;

  async function send(text) {
    if (!pending || pending.text !== text) pending = { text, id: "m-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8) };
    const { id } = pending;
    let problem = null;
    try {
      const response = await fetch(base + "/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id, text }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        problem = (body.error && body.error.message) || "HTTP " + response.status;
      }
    } catch {
      problem = "the server is unreachable";
    }
    if (problem === null) {
      pending = null;
      return;
    }
    connection.textContent = "not sent: " + problem;
    if (input.value === "") input.value = text; // give the text back so it can be sent again
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (text.trim() === "") return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
