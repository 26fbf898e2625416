// The sign-in page: POST /api/v1/session with the login and password; the answer sets
// an HttpOnly session cookie (this script never sees it), then the page goes on to
// where it was asked to (?next=, a path on this server) or to the one map.
(function () {
  "use strict";

  var ROLE_NAMES = {
    admin: "系统管理员",
    staff: "指挥中心",
    department: "部门处置人员",
    grid_member: "网格员",
    auditor: "审计",
    planner: "规划"
  };
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
    document.getElementById("signed-in-role").textContent =
      ROLE_NAMES[person.role] || person.role;
    document.getElementById("signed-in").hidden = false;
    form.hidden = true;
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

  // Already signed in? Say so rather than asking again.
  fetch("api/v1/session", { credentials: "same-origin" }).then(function (response) {
    if (response.ok) {
      response.json().then(showSignedIn);
    }
  });
})();
