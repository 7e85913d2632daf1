/* The room page: polls for new messages, posts as the picked user, opens add-on views.
   Message and glance HTML comes from the server already escaped or sanitised; everything else
   is set with textContent. No dependencies. */
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root) { return; }
  var history = document.getElementById("history");
  var status = document.getElementById("status");
  var picker = document.getElementById("user-picker");
  var count = parseInt(root.dataset.count, 10) || 0;
  var pollMs = parseInt(root.dataset.poll, 10) || 500;
  var polling = false;
  var KEY = "hipchat-emulator-user";

  var saved = window.localStorage ? localStorage.getItem(KEY) : null;
  if (saved && picker.querySelector('option[value="' + saved + '"]')) { picker.value = saved; }
  picker.addEventListener("change", function () {
    if (window.localStorage) { localStorage.setItem(KEY, picker.value); }
    loadGlances();
  });

  function say(text) { status.textContent = text || ""; }

  function nearBottom() {
    return history.scrollHeight - history.scrollTop - history.clientHeight < 80;
  }

  function scrollDown() { history.scrollTop = history.scrollHeight; }

  function setPresent(people) {
    var list = document.getElementById("present");
    list.textContent = "";
    if (!people.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "Nobody";
      list.appendChild(none);
    }
    people.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.name;
      list.appendChild(li);
    });
  }

  function poll() {
    if (polling) { return Promise.resolve(); }
    polling = true;
    return fetch(root.dataset.updates + "?since=" + count, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.reset) { window.location.reload(); return; }
        var stick = nearBottom();
        data.messages.forEach(function (m) {
          if (document.getElementById("m-" + m.id)) { return; }
          var holder = document.createElement("template");
          holder.innerHTML = m.html;
          history.appendChild(holder.content);
        });
        count = data.count;
        document.getElementById("topic").textContent = data.topic || "No topic";
        setPresent(data.present);
        if (stick && data.messages.length) { scrollDown(); }
      })
      .catch(function () { say("Lost contact with the emulator; retrying…"); })
      .finally(function () { polling = false; });
  }

  function submit(form) {
    var userField = form.querySelector('input[name="user"]');
    if (userField) { userField.value = picker.value; }
    var body = new URLSearchParams(new FormData(form));
    return fetch(form.action, {
      method: "POST", body: body, headers: { Accept: "application/json" }
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error((data.error && data.error.message) || ("HTTP " + r.status)); }
        say("");
        return poll();
      });
    });
  }

  document.querySelectorAll("form.js-action").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var message = form.querySelector("#message");
      submit(form).then(function () {
        if (message) { message.value = ""; message.focus(); scrollDown(); }
      }).catch(function (err) { say(err.message); });
    });
  });

  var frameBlock = document.getElementById("frame-block");
  var frame = document.getElementById("addon-frame");
  function openFrame(url, title) {
    frame.src = url + (url.indexOf("?") < 0 ? "?" : "&") + "user=" + encodeURIComponent(picker.value);
    document.getElementById("frame-title").textContent = title;
    frameBlock.hidden = false;
    frameBlock.scrollIntoView({ block: "nearest" });
  }
  document.querySelectorAll("a.js-frame").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      openFrame(link.dataset.frame, link.dataset.title);
    });
  });
  // <a data-target="key"> in an add-on's notification opens that add-on's view (§7.2)
  history.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-target]");
    var item = link && link.closest("li[data-oauth]");
    if (!item) { return; }
    event.preventDefault();
    openFrame("/addons/" + encodeURIComponent(item.dataset.oauth) + "/open/" +
              encodeURIComponent(link.dataset.target) + "?room=" + root.dataset.room,
              link.textContent);
  });
  document.getElementById("frame-close").addEventListener("click", function () {
    frame.src = "about:blank";
    frameBlock.hidden = true;
  });

  function loadGlances() {
    var block = document.getElementById("glance-block");
    if (block.hidden) { return; }
    fetch(root.dataset.glances + "?user=" + encodeURIComponent(picker.value),
          { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var list = document.getElementById("glances");
        list.textContent = "";
        data.items.forEach(function (g) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "glance";
          button.id = "glance-" + g.key;
          if (g.icon) {
            var img = document.createElement("img");
            img.src = g.icon; img.alt = "";
            button.appendChild(img);
          }
          var text = document.createElement("span");
          if (g.label !== null) {
            var label = document.createElement("template");
            label.innerHTML = g.label;  // sanitised by the emulator (a, b, i, strong, span)
            text.appendChild(label.content);
          } else {
            text.textContent = g.name;
          }
          button.appendChild(text);
          if (g.lozenge) {
            var loz = document.createElement("span");
            loz.className = "lozenge " + g.lozenge.type;
            loz.textContent = g.lozenge.label;
            button.appendChild(loz);
          }
          if (g.error) {
            var err = document.createElement("span");
            err.className = "glance-error";
            err.textContent = g.error;
            text.appendChild(err);
          }
          if (g.target) {
            button.addEventListener("click", function () {
              openFrame("/addons/" + encodeURIComponent(g.oauth_id) + "/open/" +
                        encodeURIComponent(g.target) + "?room=" + root.dataset.room, g.name);
            });
          }
          li.appendChild(button);
          list.appendChild(li);
        });
      })
      .catch(function () { say("Could not load the glances"); });
  }

  scrollDown();
  loadGlances();
  window.setInterval(poll, pollMs);
})();
