#!/usr/bin/env bash
# Translation catalogs: extract msgids, merge them into the vi/en catalogs, compile .mo files.
#   scripts/i18n.sh extract   # app/translations/messages.pot from the code and templates
#   scripts/i18n.sh update    # extract, then merge into every catalog (new msgids start empty)
#   scripts/i18n.sh compile   # .mo files (git-ignored) that the running app reads
#   scripts/i18n.sh init LANG # a new language's catalog
# The vi catalog must stay complete: tests/app/test_i18n.py lists any msgid left untranslated.
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-}"
if [[ -z "$PYBABEL" ]]; then
  if [[ -x .venv/bin/pybabel ]]; then PYBABEL=.venv/bin/pybabel; else PYBABEL=pybabel; fi
fi
DIR=app/translations
POT="$DIR/messages.pot"

extract() {
  # Sorted by msgid so that strings added by several people at once merge cleanly.
  "$PYBABEL" -q extract -F babel.cfg -k _ -k _l -k 'ngettext:1,2' -k lazy_gettext \
    --add-comments=TRANSLATORS: --sort-output --project="HTX Trace" --version=0.1 \
    --copyright-holder="HTX Trace contributors" \
    -o "$POT" .
}

case "${1:-}" in
  extract)
    extract
    ;;
  update)
    extract
    # No fuzzy guesses: a new msgid starts empty, and the i18n test names it until translated.
    "$PYBABEL" update -i "$POT" -d "$DIR" --no-fuzzy-matching --ignore-obsolete
    ;;
  compile)
    "$PYBABEL" compile -d "$DIR" --statistics
    ;;
  init)
    [[ -n "${2:-}" ]] || { echo "usage: $0 init LANG" >&2; exit 2; }
    extract
    "$PYBABEL" init -i "$POT" -d "$DIR" -l "$2"
    ;;
  *)
    echo "usage: $0 {extract|update|compile|init LANG}" >&2
    exit 2
    ;;
esac
