// @ts-check
/** Element look-ups and inline errors, shared by the page's modules. */

/**
 * `#id`, checked to be a `type`: a renamed element fails on load, not on first use.
 * @template {HTMLElement} T
 * @param {string} id @param {new () => T} type @returns {T}
 */
export function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return element;
}

/**
 * Shows `message` under `input` and marks it invalid; "" clears both.
 * @param {HTMLInputElement} input @param {HTMLElement} output @param {string} message
 */
export function showError(input, output, message) {
  output.textContent = message;
  if (message === "") input.removeAttribute("aria-invalid");
  else input.setAttribute("aria-invalid", "true");
}
