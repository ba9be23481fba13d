/* fuzz_theme: workbench theme files (tui_theme_parse, and tui_theme_load from an in-memory
 * file), checking every slot stays in range. */
#include "fuzz_util.h"

#include "theme.h"

static void check(const tui_theme *t)
{
    if (!memchr(t->name, 0, sizeof t->name)) abort();
    for (int s = 0; s < TUI_SLOT_COUNT; s++) {
        const tui_style *st = &t->slot[s];
        if (st->fg < TUI_COLOR_DEFAULT || st->fg > 255 || st->bg < TUI_COLOR_DEFAULT ||
            st->bg > 255 || st->attrs > 31) {
            fprintf(stderr, "slot %s out of range: fg %d bg %d attrs %u\n",
                    tui_slot_name((tui_slot)s), st->fg, st->bg, st->attrs);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tui_theme t;
    tui_theme_defaults(&t);
    ll_error err;
    if (tui_theme_parse((const char *)data, size, "fuzz.theme", &t, &err) == LL_OK)
        check(&t);
    else if (!err.msg[0] || err.line < 1)
        abort();

    tui_theme_defaults(&t);
    if (tui_theme_load(fz_memfd_path(0, data, size), &t, &err) == LL_OK) check(&t);

    /* Single words as colour and slot names. */
    if (size < 64) {
        char *s = fz_cstr(data, size);
        int c = tui_color_parse(s);
        if (c < -2 || c > 255) abort();
        int bright = 0;
        if (c >= -1 && (tui_color_to8(c, &bright) < -1 || tui_color_to8(c, &bright) > 7)) abort();
        int slot = tui_slot_find(s);
        if (slot < -1 || slot >= TUI_SLOT_COUNT) abort();
        free(s);
    }
    return 0;
}
