/**
 * Browser code shared by the panel and its sign-in page: translation, element building and the
 * API call. Plain ES2017 for the browser, kept as text (no build step): it is concatenated into
 * `/assets/admin.js` and `/assets/login.js` inside one function scope that defines `LOCALES`.
 *
 * Text from the network only ever reaches the page through `textContent` and attribute values
 * set by `el()`; nothing is parsed as HTML.
 *
 * @module
 */

/** Shared browser helpers. */
export const SCRIPT_KIT: string = String.raw`
var LANG_KEY = "weilink.admin.lang";

function pickLanguage() {
  var saved = null;
  try { saved = window.localStorage.getItem(LANG_KEY); } catch (e) { /* storage disabled */ }
  if (saved && LOCALES[saved]) return saved;
  var browser = (navigator.language || "en").toLowerCase();
  return browser.indexOf("zh") === 0 ? "zh" : "en";
}

var lang = pickLanguage();

function t(key, vars) {
  var text = (LOCALES[lang] && LOCALES[lang][key]) || LOCALES.en[key] || key;
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : all;
    });
  }
  return text;
}

function applyI18n(root) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  var nodes = root.querySelectorAll("[data-i18n]");
  for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].getAttribute("data-i18n"));
  var attrs = [["data-i18n-placeholder", "placeholder"], ["data-i18n-title", "title"], ["data-i18n-label", "aria-label"]];
  attrs.forEach(function (pair) {
    var found = root.querySelectorAll("[" + pair[0] + "]");
    for (var j = 0; j < found.length; j++) found[j].setAttribute(pair[1], t(found[j].getAttribute(pair[0])));
  });
  var title = root.querySelector("h1[data-i18n]");
  if (title) document.title = title.textContent;
}

function setLanguage(code) {
  if (!LOCALES[code]) return;
  lang = code;
  try { window.localStorage.setItem(LANG_KEY, code); } catch (e) { /* storage disabled */ }
  applyI18n(document);
}

function bindLanguagePicker(onChange) {
  var picker = document.getElementById("lang");
  if (!picker) return;
  picker.value = lang;
  picker.addEventListener("change", function () {
    setLanguage(picker.value);
    if (onChange) onChange();
  });
}

/**
 * Build an element. props: className, text (as text), attrs (attribute values), on (listeners),
 * hidden. Children: nodes, or strings (inserted as text).
 */
function el(tag, props, children) {
  var node = document.createElement(tag);
  props = props || {};
  if (props.className) node.className = props.className;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  if (props.attrs) {
    Object.keys(props.attrs).forEach(function (name) {
      var value = props.attrs[name];
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    });
  }
  if (props.on) {
    Object.keys(props.on).forEach(function (type) { node.addEventListener(type, props.on[type]); });
  }
  if (props.hidden) node.hidden = true;
  (children || []).forEach(function (child) {
    if (child === null || child === undefined || child === false) return;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

/** Outline icons (24×24, drawn with the text colour); emoji fonts are not everywhere. */
var ICONS = {
  attach: "M20 11.5l-8 8a5 5 0 01-7-7l8.5-8.5a3.5 3.5 0 015 5L10 17.5a2 2 0 01-3-3L14.5 7",
  file: "M14 3H6.5A1.5 1.5 0 005 4.5v15A1.5 1.5 0 006.5 21h11a1.5 1.5 0 001.5-1.5V8z M14 3v5h5",
  voice: "M12 3a3 3 0 00-3 3v5a3 3 0 006 0V6a3 3 0 00-3-3z M5.5 11a6.5 6.5 0 0013 0 M12 17.5V21",
  video: "M3 7h12v10H3z M15 10.5l6-3.5v10l-6-3.5",
  image: "M3 5h18v14H3z M3 16l5-5 4 4 3-3 6 6 M15 9h.01",
  download: "M12 4v11 M7.5 10.5L12 15l4.5-4.5 M5 20h14",
};

function icon(name) {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  var attrs = { viewBox: "0 0 24 24", width: "16", height: "16", fill: "none", stroke: "currentColor",
    "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true",
    "class": "icon" };
  Object.keys(attrs).forEach(function (key) { svg.setAttribute(key, attrs[key]); });
  var path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.appendChild(path);
  return svg;
}

function ApiError(status, message) {
  this.status = status;
  this.message = message;
}
ApiError.prototype = Object.create(Error.prototype);

/** Call the panel's API; resolves to the JSON answer, rejects with ApiError. */
function api(path, options) {
  options = options || {};
  var init = { method: options.method || "GET", credentials: "same-origin", headers: {} };
  if (options.form) {
    init.body = options.form;
  } else if (options.json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.json);
  }
  return fetch(path, init).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (res.status === 401 && path !== "/login") {
        window.location.assign("/login");
      }
      if (!res.ok) {
        throw new ApiError(res.status, (data && data.error) || ("HTTP " + res.status));
      }
      return data;
    });
  });
}
`;
