// The dashboard's script: sign-in and sign-out through the core's /auth routes, and one
// event stream whose `changed` events make htmx reload the page's fragments. Pages are
// readable without it.
"use strict";

(function () {
  const cookie = (name) => {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  };

  // htmx posts forms URL-encoded; arizuko's HTTP API takes JSON, so writes send their fields as a JSON object.
  if (window.htmx) {
    window.htmx.defineExtension("json-body", {
      onEvent(name, event) {
        if (name === "htmx:configRequest") event.detail.headers["Content-Type"] = "application/json";
      },
      encodeParameters(xhr, parameters) {
        xhr.overrideMimeType("text/json");
        const body = {};
        parameters.forEach((value, key) => { body[key] = value; });
        return JSON.stringify(body);
      },
    });
  }

  const form = document.getElementById("sign-in");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = document.getElementById("sign-in-error");
      error.textContent = "";
      const response = await fetch("/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: form.username.value, password: form.password.value }),
      }).catch(() => null);
      if (!response) return void (error.textContent = "the server is unreachable");
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        return void (error.textContent = (body.error && body.error.message) || "HTTP " + response.status);
      }
      location.assign(form.dataset.next || "/dash");
    });
    return;
  }

  const signOut = document.getElementById("sign-out");
  if (signOut) {
    signOut.addEventListener("click", async () => {
      await fetch("/auth/logout", { method: "POST", headers: { "x-csrf-token": cookie("arizuko_csrf") } }).catch(() => null);
      location.assign("/dash/sign-in");
    });
  }

  // A failed htmx request (an expired code, a lost session) is shown, not swallowed.
  document.body.addEventListener("htmx:responseError", (event) => {
    const flash = document.getElementById("flash");
    if (flash) flash.textContent = event.detail.xhr.responseText.slice(0, 500) || "the request failed";
  });

  // Only pages with live sections listen; the error pages do not.
  if (document.querySelector("[hx-trigger*='arizuko:changed']")) {
    const events = new EventSource("/dash/events");
    events.addEventListener("changed", () => document.body.dispatchEvent(new Event("arizuko:changed")));
  }
})();
