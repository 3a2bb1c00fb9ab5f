// The arizuko web chat page. While the chat is open to visitors it shows one chat, named
// in the URL hash (else a new random name kept in localStorage). Once it asks for sign-in
// it shows a sign-in form, then the groups the user may use, one chat per group and its
// topics. History and live events come over SSE. Message HTML comes from the server,
// which renders Markdown without any markup from the text; everything else is inserted
// as text.
"use strict";

(function () {
  const CHAT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
  const $ = (id) => document.getElementById(id);
  const list = $("messages");
  const typing = $("typing");
  const draft = $("draft");
  const connection = $("connection");
  const form = $("composer");
  const input = $("text");
  const fileInput = $("file");

  const state = {
    session: null,
    chats: [],
    chat: null,
    group: null,
    topic: "",
    topics: [],
    /** Every message of the open chat by seq, so switching topics needs no new request. */
    messages: new Map(),
    events: null,
    attachments: [],
  };

  // ---- HTTP -------------------------------------------------------------------------

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  function problemOf(response, body) {
    return (body && body.error && body.error.message) || "HTTP " + response.status;
  }

  /** Calls the API with the CSRF token; an expired sign-in is refreshed once. */
  async function api(path, options = {}, retried = false) {
    const headers = { "x-csrf-token": cookie("arizuko_csrf") };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(path, { method: options.method || "GET", headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    if (response.status === 401 && !retried && signedInBefore() && (await refresh())) return api(path, options, true);
    const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(problemOf(response, body));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  /** Tells whether a sign-in exists that a refresh may renew: the CSRF cookie outlives the short access cookie. */
  function signedInBefore() {
    return cookie("arizuko_csrf") !== "";
  }

  async function refresh() {
    const response = await fetch("/auth/refresh", { method: "POST", headers: { "x-csrf-token": cookie("arizuko_csrf") } }).catch(() => null);
    return Boolean(response && response.ok);
  }

  // ---- Location ---------------------------------------------------------------------

  /** Reads the chat and topic from the hash, `chat` or `chat/topic`. */
  function readHash() {
    let value = "";
    try {
      value = decodeURIComponent(location.hash.slice(1));
    } catch {
      value = ""; // a malformed escape: fall back to the stored name
    }
    const [chat, topic] = value.split("/");
    return { chat: CHAT_PATTERN.test(chat || "") ? chat : null, topic: CHAT_PATTERN.test(topic || "") ? topic : "" };
  }

  function writeHash() {
    history.replaceState(null, "", "#" + state.chat + (state.topic ? "/" + state.topic : ""));
  }

  function visitorChatName() {
    let name = localStorage.getItem("arizuko.chat");
    if (!name || !CHAT_PATTERN.test(name)) {
      name = "chat-" + Math.random().toString(36).slice(2, 10);
      localStorage.setItem("arizuko.chat", name);
    }
    return name;
  }

  // ---- Messages ---------------------------------------------------------------------

  function attachmentNode(attachment) {
    const link = document.createElement("a");
    link.href = attachment.url;
    link.className = "attachment";
    if (attachment.kind === "image" && /^image\/(png|jpeg|gif|webp)$/.test(attachment.mime)) {
      const image = document.createElement("img");
      image.src = attachment.url;
      image.alt = attachment.name || "image";
      link.append(image);
    } else {
      link.textContent = "📎 " + (attachment.name || "file");
      link.setAttribute("download", attachment.name || "file");
    }
    return link;
  }

  function render(message) {
    const item = document.createElement("li");
    item.dataset.seq = String(message.seq);
    // A group handing the conversation to another (delegation) writes as local:<folder>; so
    // does a scheduled task's prompt, which carries a name ("scheduled task tsk_…").
    const handOff = !message.from_agent && message.sender.startsWith("local:");
    if (!message.from_agent && !handOff) item.classList.add("mine");
    if (message.kind === "notice" || handOff) item.classList.add("notice");
    const meta = document.createElement("span");
    meta.className = "meta";
    const who = message.from_agent
      ? (message.group || "agent")
      : handOff
        ? message.sender_name || message.sender.slice("local:".length) + " → " + (message.group || "another group")
        : (message.sender_name && state.session && !state.session.user ? message.sender_name : "you");
    meta.textContent = who + " · " + new Date(message.ts).toLocaleTimeString();
    const body = document.createElement("div");
    body.className = "body";
    // Safe by construction: the server escapes all markup of the text (see markdown.ts).
    body.innerHTML = message.html;
    for (const attachment of message.attachments || []) body.append(attachmentNode(attachment));
    item.append(meta, body);
    return item;
  }

  function show(message) {
    if (state.messages.has(message.seq)) return;
    state.messages.set(message.seq, message);
    if (message.topic !== state.topic) return;
    const item = render(message);
    list.append(item);
    item.scrollIntoView({ block: "end" });
    draft.hidden = true;
  }

  function showTopic() {
    list.replaceChildren(...[...state.messages.values()].filter((message) => message.topic === state.topic).map(render));
    list.lastElementChild && list.lastElementChild.scrollIntoView({ block: "end" });
    typing.hidden = true;
    draft.hidden = true;
  }

  // ---- Events -----------------------------------------------------------------------

  // EventSource retries dropped streams by itself, but gives up for good on an error
  // status (401 once a sign-in expired, 404 for someone else's chat, 5xx). Ask the API
  // why: a refreshed sign-in reconnects, and any other reason is shown.
  async function explainClosed(chat) {
    try {
      await api("/web/chats/" + encodeURIComponent(chat) + "/messages?limit=1");
      if (state.chat === chat) connect();
    } catch (error) {
      connection.textContent = "disconnected: " + (error.message || "the server is unreachable") + " (reload to retry)";
    }
  }

  function connect() {
    if (state.events) state.events.close();
    const chat = state.chat;
    const after = Math.max(0, ...state.messages.keys());
    const events = new EventSource("/web/chats/" + encodeURIComponent(chat) + "/events" + (after > 0 ? "?after=" + after : ""));
    state.events = events;
    events.addEventListener("open", () => { connection.textContent = "connected"; });
    events.addEventListener("error", () => {
      if (events.readyState === EventSource.CLOSED) explainClosed(chat);
      else connection.textContent = "reconnecting…";
    });
    events.addEventListener("message", (event) => show(JSON.parse(event.data)));
    events.addEventListener("typing", (event) => {
      const data = JSON.parse(event.data);
      if (data.topic === undefined || data.topic === state.topic) typing.hidden = !data.active;
    });
    events.addEventListener("delta", (event) => {
      const data = JSON.parse(event.data);
      if (data.topic !== state.topic) return;
      draft.hidden = false;
      draft.textContent = data.text;
    });
    events.addEventListener("reset", () => { state.messages.clear(); list.replaceChildren(); });
  }

  // ---- Chats, groups and topics -----------------------------------------------------

  function choice(label, current, onPick) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    if (current) button.setAttribute("aria-current", "true");
    button.addEventListener("click", onPick);
    item.append(button);
    return item;
  }

  function showHeader() {
    const topic = state.topics.find((entry) => entry.topic === state.topic);
    if (state.session.access === "open") $("chat-name").textContent = "chat " + state.chat + (state.topic ? " · " + (topic ? topic.title : state.topic) : "");
    else $("chat-name").textContent = (state.group ? state.group.name : "chat") + " · " + (topic ? topic.title : "General");
  }

  function showGroups() {
    const groups = state.session.groups;
    $("groups").hidden = $("groups-title").hidden = groups.length === 0;
    $("groups").replaceChildren(...groups.map((group) => choice(group.name === group.folder ? group.folder : group.name + " (" + group.folder + ")", state.group && state.group.folder === group.folder, () => openGroup(group))));
  }

  async function loadTopics() {
    const body = await api("/web/chats/" + encodeURIComponent(state.chat) + "/topics");
    state.topics = body.topics;
    if (!state.topics.some((entry) => entry.topic === state.topic)) state.topics.push({ topic: state.topic, title: state.topic });
    $("topics").replaceChildren(...state.topics.map((entry) => choice(entry.title, entry.topic === state.topic, () => switchTopic(entry.topic))));
    showHeader();
  }

  async function switchTopic(topic) {
    state.topic = topic;
    writeHash();
    showTopic();
    await loadTopics();
    input.focus();
  }

  async function openChat(chat, topic) {
    if (state.chat !== chat) {
      state.chat = chat;
      state.messages.clear();
      list.replaceChildren();
      state.topic = topic || "";
      connect();
    } else {
      state.topic = topic || "";
      showTopic();
    }
    const known = state.chats.find((entry) => entry.chat === chat);
    state.group = known && known.group ? { folder: known.group, name: known.group_name || known.group } : null;
    writeHash();
    showGroups();
    await loadTopics();
  }

  async function openGroup(group) {
    let chat = state.chats.find((entry) => entry.group === group.folder);
    if (!chat) {
      try {
        chat = await api("/web/chats", { method: "POST", body: { group: group.folder } });
        state.chats.push(chat);
      } catch (error) {
        connection.textContent = "cannot open " + group.folder + ": " + error.message;
        return;
      }
    }
    await openChat(chat.chat, "");
  }

  // ---- Composer ---------------------------------------------------------------------

  // The id of a message that failed to send, kept while its text is unchanged, so a
  // retry of a post that did reach the server is stored once.
  let pending = null;

  async function send(text) {
    const attachments = state.attachments.map((file) => file.id);
    if (!pending || pending.text !== text) pending = { text, id: "m-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8) };
    const body = { id: pending.id, text };
    if (state.topic) body.topic = state.topic;
    if (attachments.length > 0) body.attachments = attachments;
    try {
      await api("/web/chats/" + encodeURIComponent(state.chat) + "/messages", { method: "POST", body });
      pending = null;
      state.attachments = [];
      $("attached").textContent = "";
    } catch (error) {
      connection.textContent = "not sent: " + (error.status ? error.message : "the server is unreachable");
      if (input.value === "") input.value = text; // give the text back so it can be sent again
    }
  }

  function base64Of(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  fileInput.addEventListener("change", async () => {
    for (const file of fileInput.files) {
      try {
        const data = await base64Of(file);
        const uploaded = await api("/web/chats/" + encodeURIComponent(state.chat) + "/files", { method: "POST", body: { name: file.name, mime: file.type || "application/octet-stream", data } });
        state.attachments.push(uploaded);
      } catch (error) {
        connection.textContent = "not attached: " + file.name + ": " + error.message;
      }
    }
    fileInput.value = "";
    $("attached").textContent = state.attachments.length ? "attached: " + state.attachments.map((file) => file.name).join(", ") : "";
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (text.trim() === "" && state.attachments.length === 0) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  $("new-topic").addEventListener("click", async () => {
    const title = prompt("Name of the new topic");
    if (!title || !title.trim()) return;
    try {
      const topic = await api("/web/chats/" + encodeURIComponent(state.chat) + "/topics", { method: "POST", body: { title } });
      await switchTopic(topic.topic);
    } catch (error) {
      connection.textContent = "no new topic: " + error.message;
    }
  });

  $("rename-topic").addEventListener("click", async () => {
    const current = state.topics.find((entry) => entry.topic === state.topic);
    const title = prompt("New name of this topic", current ? current.title : "");
    if (!title || !title.trim()) return;
    try {
      await api("/web/chats/" + encodeURIComponent(state.chat) + "/topics/" + (state.topic || "main"), { method: "PATCH", body: { title } });
      await loadTopics();
    } catch (error) {
      connection.textContent = "not renamed: " + error.message;
    }
  });

  // ---- Sign-in ----------------------------------------------------------------------

  async function showSignIn() {
    $("workspace").hidden = true;
    $("sign-in").hidden = false;
    connection.textContent = "signed out";
    const providers = await api("/auth/providers").catch(() => ({ providers: [] }));
    $("providers").replaceChildren(
      // OAuth providers only: the Telegram widget would load a script from telegram.org.
      ...(providers.providers || []).filter((provider) => provider.start).map((provider) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = provider.start + "?next=/";
        link.textContent = "Sign in with " + provider.title;
        item.append(link);
        return item;
      }),
    );
    $("username").focus();
  }

  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    const response = await fetch("/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    }).catch(() => null);
    if (!response) return void ($("sign-in-error").textContent = "the server is unreachable");
    if (!response.ok) return void ($("sign-in-error").textContent = problemOf(response, await response.json().catch(() => ({}))));
    $("password").value = "";
    start();
  });

  $("sign-out").addEventListener("click", async () => {
    if (state.events) state.events.close();
    await fetch("/auth/logout", { method: "POST", headers: { "x-csrf-token": cookie("arizuko_csrf") } }).catch(() => null);
    location.hash = "";
    location.reload();
  });

  // ---- Start ------------------------------------------------------------------------

  async function start() {
    try {
      state.session = await api("/web/session");
    } catch (error) {
      connection.textContent = "cannot start: " + error.message;
      return;
    }
    // The access cookie expires after minutes; the sign-in lasts as long as the refresh cookie.
    if (state.session.access === "users" && !state.session.user && signedInBefore() && (await refresh())) {
      state.session = await api("/web/session").catch(() => state.session);
    }
    const { session } = state;
    const requested = readHash();

    if (session.access === "open") {
      $("workspace").hidden = false;
      return openChat(requested.chat || visitorChatName(), requested.topic);
    }
    if (!session.user && !session.visitor) return showSignIn();

    state.chats = (await api("/web/chats").catch(() => ({ chats: [] }))).chats;
    if (!session.user && state.chats.length === 0) return showSignIn();
    $("sign-in").hidden = true;
    $("workspace").hidden = false;
    if (session.user) {
      $("account").hidden = $("sign-out").hidden = false;
      $("account").textContent = "signed in as " + session.user.username;
    }
    const chosen = state.chats.find((entry) => entry.chat === requested.chat) || state.chats[0];
    if (chosen) return openChat(chosen.chat, chosen.chat === requested.chat ? requested.topic : "");
    if (session.groups.length > 0) return openGroup(session.groups[0]);
    showGroups();
    connection.textContent = "no groups yet: ask an operator to let you use one (arizuko user join " + session.user.username + " GROUP)";
  }

  start();
})();
