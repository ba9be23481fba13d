/* fuzz_config: the workbench's config file (tui_config_parse, tui_config_load) and recent-files
 * list (tui_recent_load), read from the input. */
#include "fuzz_util.h"

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tui_config c;
    memset(&c, 0, sizeof c);
    char errs[512];
    errs[0] = 0;
    int bad = tui_config_parse((const char *)data, size, "config", &c, errs, sizeof errs);
    if (bad < 0 || !memchr(errs, 0, sizeof errs)) abort();
    if (!memchr(c.theme, 0, sizeof c.theme) || !memchr(c.store, 0, sizeof c.store) ||
        !memchr(c.experiment, 0, sizeof c.experiment))
        abort();

    const char *path = fz_memfd_path(0, data, size);
    memset(&c, 0, sizeof c);
    (void)tui_config_load(path, &c, errs, 16); /* small buffer: messages are cut, not overrun */

    char **files = NULL;
    size_t n = tui_recent_load(path, &files, TUI_RECENT_MAX);
    if (n > TUI_RECENT_MAX) abort();
    for (size_t i = 0; i < n; i++)
        if (!files[i]) abort();
    if (tui_recent_add(&files, &n, "/data/new.csv", TUI_RECENT_MAX) == 0 &&
        (n > TUI_RECENT_MAX || strcmp(files[0], "/data/new.csv")))
        abort();
    tui_strv_free(files, n);
    return 0;
}
