// The sign-in page: POST /api/v1/session with the login and password; the answer sets
// an HttpOnly session cookie (this script never sees it), then the page goes on to
// where it was asked to (?next=, a path on this server) or to the one map.
(function () {
  "use strict";

  // The service's words (static/vocabulary.json): vocabulary name → value → its zh name.
  var words = {};
  var form = document.getElementById("signin-form");
  var message = document.getElementById("signin-message");
  var button = document.getElementById("signin-button");

  function nextPage() {
    var next = new URLSearchParams(window.location.search).get("next") || "./";
    // only a path of this server: never a way to send someone elsewhere
    return /^\/(?!\/)/.test(next) || next === "./" ? next : "./";
  }

  function showSignedIn(person) {
    document.getElementById("signed-in-name").textContent = person.name;
    document.getElementById("signed-in-role").textContent = named("person_roles", person.role);
    document.getElementById("signed-in").hidden = false;
    form.hidden = true;
  }

  function named(vocabulary, value) {
    return (words[vocabulary] && words[vocabulary][value]) || value;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      return response.json();
    });
  }

  // The title names what the map covers (GET /api/v1/area), as the map's own title does
  // (web/core/area.js): the county, the city its counties share, or how many counties.
  function showTitle(area) {
    var place = area.level === "counties"
      ? named("interface_words", "area_counties").replace("{count}", String(area.counties))
      : area.name;
    var title = place
      ? named("interface_words", "page_title").replace("{place}", place)
      : named("interface_words", "page_title_empty");
    document.getElementById("signin-title").textContent = title;
    document.title = "登录 · " + title;
  }

  function say(text) {
    message.textContent = text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var login = form.login.value.trim();
    var password = form.password.value;
    if (!login || !password) {
      say("请输入账号和密码");
      return;
    }
    button.disabled = true;
    say("正在登录…");
    fetch("api/v1/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ login: login, password: password })
    })
      .then(function (response) {
        if (response.ok) {
          return response.json().then(function (person) {
            say("");
            // the one map asks who is signed in only when this says someone may be
            localStorage.setItem("onemap.signedIn", "1");
            showSignedIn(person);
            window.location.assign(nextPage());
          });
        }
        if (response.status === 429) {
          var wait = response.headers.get("Retry-After") || "60";
          say("尝试次数过多，请 " + wait + " 秒后再试");
        } else if (response.status === 401 || response.status === 422) {
          say("账号或密码不正确");
        } else {
          say("暂时无法登录（" + response.status + "），请稍后再试");
        }
        form.password.value = "";
        form.password.focus();
      })
      .catch(function () {
        say("网络不通，请检查连接后再试");
      })
      .finally(function () {
        button.disabled = false;
      });
  });

  document.getElementById("signout-button").addEventListener("click", function () {
    fetch("api/v1/session", { method: "DELETE", credentials: "same-origin" }).then(
      function () {
        localStorage.removeItem("onemap.signedIn");
        document.getElementById("signed-in").hidden = true;
        form.hidden = false;
      }
    );
  });

  // The service's words, then the title from them.
  var wordsLoaded = getJSON("static/vocabulary.json")
    .then(function (vocabularies) {
      Object.keys(vocabularies).forEach(function (name) {
        words[name] = {};
        vocabularies[name].terms.forEach(function (term) {
          words[name][term.value] = term.zh;
        });
      });
    })
    .catch(function () {
      // the form works without them: a role is shown by its code, the title stays short
    });
  wordsLoaded
    .then(function () {
      return getJSON("api/v1/area");
    })
    .then(showTitle)
    .catch(function () {
      // the title stays the page's own
    });

  // Already signed in? Say so rather than asking again (once the words are there).
  fetch("api/v1/session", { credentials: "same-origin" }).then(function (response) {
    if (response.ok) {
      Promise.all([response.json(), wordsLoaded]).then(function (answers) {
        showSignedIn(answers[0]);
      });
    }
  });
})();
