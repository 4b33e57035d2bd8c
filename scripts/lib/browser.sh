# Sourced by scripts that drive a browser: browser_up installs Debian's chromium (apt-get, root) and
# playwright-core (npm, the version in contract/ui/package.json) under .tools/ui, and sets $chromium and $ui.
browser_up() {
  chromium=${SANDMAN_IT_CHROMIUM:-/usr/bin/chromium}
  if [[ ! -x $chromium ]]; then
    echo "installing Debian's chromium"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || { echo "could not install chromium"; exit 1; }
  fi
  ui=.tools/ui
  if [[ ! -d $ui/node_modules/playwright-core ]] || ! cmp -s contract/ui/package.json $ui/package.json; then
    mkdir -p "$ui"
    cp contract/ui/package.json "$ui/"
    (cd "$ui" && npm install --silent --no-audit --no-fund)
  fi
  cp contract/ui/*.mjs "$ui/"
}
