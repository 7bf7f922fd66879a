// The page's config, passed by the server through {{ config|json_script:"keyroom-config" }}.

/** Return the parsed config, or null on pages without one. */
export function readConfig() {
  const node = document.getElementById("keyroom-config");
  return node ? JSON.parse(node.textContent) : null;
}
