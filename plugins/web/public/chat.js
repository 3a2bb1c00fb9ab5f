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

  function chatName() {
    const fromHash = decodeURIComponent(location.hash.slice(1));
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
    if (!message.from_agent) item.classList.add("mine");
    if (message.kind === "notice") item.classList.add("notice");
    const meta = document.createElement("span");
    meta.className = "meta";
    const who = message.from_agent ? (message.group || "agent") : (message.sender_name || "you");
    meta.textContent = who + " · " + new Date(message.ts).toLocaleTimeString();
    item.append(meta, document.createTextNode(message.text));
    list.append(item);
    item.scrollIntoView({ block: "end" });
  }

  const events = new EventSource(base + "/events");
  events.addEventListener("open", () => { connection.textContent = "connected"; });
  events.addEventListener("error", () => { connection.textContent = "reconnecting…"; });
  events.addEventListener("message", (event) => show(JSON.parse(event.data)));
  events.addEventListener("typing", (event) => { typing.hidden = !JSON.parse(event.data).active; });
  events.addEventListener("reset", () => { list.replaceChildren(); seen.clear(); });

  async function send(text) {
    const id = "m-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
    const response = await fetch(base + "/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, text }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      connection.textContent = "not sent: " + ((body.error && body.error.message) || response.status);
    }
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
