// The dashboard's script: sign-in and sign-out through the core's /auth routes, and one
// event stream whose `changed` events make htmx reload the page's fragments. Pages are
// readable without it.
"use strict";

(function () {
  const cookie = (name) => {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  };

  // The access cookie lasts minutes and the sign-in (its refresh cookie) weeks. The CSRF
  // cookie lives as long as the sign-in, so without it a refresh cannot work.
  let refreshedAt = Date.now();
  async function refresh() {
    if (!cookie("arizuko_csrf")) return false;
    const response = await fetch("/auth/refresh", { method: "POST", headers: { "x-csrf-token": cookie("arizuko_csrf") } }).catch(() => null);
    if (response && response.ok) refreshedAt = Date.now();
    return Boolean(response && response.ok);
  }

  const signInUrl = () => "/dash/sign-in?next=" + encodeURIComponent(location.pathname + location.search);

  // htmx posts forms URL-encoded; arizuko's HTTP API takes JSON, so writes send their fields as a JSON object.
  if (window.htmx) {
    window.htmx.defineExtension("json-body", {
      onEvent(name, event) {
        if (name !== "htmx:configRequest") return;
        event.detail.headers["Content-Type"] = "application/json";
        // A renewed sign-in may carry a new CSRF token: the cookie is current, the page's copy may not be.
        if (cookie("arizuko_csrf")) event.detail.headers["X-CSRF-Token"] = cookie("arizuko_csrf");
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
    // A sign-in that only needs renewing goes straight back where it was.
    refresh().then((renewed) => {
      if (renewed) location.assign(form.dataset.next || "/dash");
    });
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

  // Renews the sign-in while the page is open, so an operator is not sent away mid-edit.
  const RENEW_MS = 10 * 60 * 1000;
  setInterval(() => void refresh(), RENEW_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && Date.now() - refreshedAt > RENEW_MS) void refresh();
  });

  // An expired session is renewed and the request sent again, so typed values survive;
  // any other failure is shown with the server's message, not swallowed.
  document.body.addEventListener("htmx:responseError", async (event) => {
    const { xhr, elt, target, requestConfig } = event.detail;
    if (xhr.status === 401) {
      if (!elt.dataset.retried && (await refresh())) {
        elt.dataset.retried = "1";
        await window.htmx.ajax(requestConfig.verb, requestConfig.path, { source: elt, target, swap: elt.getAttribute("hx-swap") || "outerHTML" });
        delete elt.dataset.retried;
        return;
      }
      location.assign(signInUrl());
      return;
    }
    let message = xhr.responseText.slice(0, 500) || "the request failed (HTTP " + xhr.status + ")";
    try {
      message = JSON.parse(xhr.responseText).error.message || message;
    } catch {
      // Not JSON: shown as it came.
    }
    const flash = document.getElementById("flash");
    if (!flash) return;
    flash.textContent = message;
    flash.scrollIntoView({ block: "nearest" });
  });

  // Only pages with live sections listen; the error pages do not.
  if (document.querySelector("[hx-trigger*='arizuko:changed']")) {
    const events = new EventSource("/dash/events");
    events.addEventListener("changed", () => document.body.dispatchEvent(new Event("arizuko:changed")));
  }
})();
