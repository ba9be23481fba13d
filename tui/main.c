/* main: entry point — global options, --batch dispatch through the command table, signals. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cmd.h"
#include "version.h"

static volatile int cancel_flag;

static void on_signal(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: lendlab [--store DIR] [--theme NAME] [FILE]\n"
               "       lendlab [--store DIR] --batch COMMAND [ARGS...]\n"
               "       lendlab --batch COMMAND --help\n\n"
               "lendlab is a terminal workbench for credit-risk (loan-default) modelling.\n\n"
               "Global options:\n"
               "  --batch COMMAND   run COMMAND headless (for scripts, cron and CI)\n"
               "  --store DIR       tracking store (default $LENDLAB_STORE or ./mlruns)\n"
               "  --theme NAME      colour theme of the workbench\n"
               "  --version         print the version\n"
               "  -h, --help        show this help\n\n"
               "Commands:\n");
    ll_cmd_list(f);
    fprintf(f, "\nExit status: 0 success, 1 error, 2 usage error, 3 drift detected\n"
               "(drift --fail-on-drift), 4 refused by policy (promote), 130 interrupted.\n"
               "See lendlab(1).\n");
}

int main(int argc, char **argv)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C"); /* files and JSON never depend on the user's decimal point */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit makes write() fail with EFBIG, reported */

    const char *store = getenv("LENDLAB_STORE");
    const char *store_opt = NULL; /* --store as given, for the workbench's own precedence */
    const char *theme = NULL;
    const char *file = NULL;
    int i = 1, batch = 0;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--batch")) {
            batch = 1;
            i++;
            break;
        } else if (!strcmp(argv[i], "--store") && i + 1 < argc) {
            store = store_opt = argv[++i];
        } else if (!strcmp(argv[i], "--theme") && i + 1 < argc) {
            theme = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return LL_EXIT_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("lendlab %s\n", LL_VERSION);
            return LL_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "lendlab: unknown option '%s'\nTry 'lendlab --help'.\n", argv[i]);
            return LL_EXIT_USAGE;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "lendlab: unexpected argument '%s'\n", argv[i]);
            return LL_EXIT_USAGE;
        }
    }
    ll_cmd_ctx ctx = {
        .out = stdout,
        .err = stderr,
        .store = store && *store ? store : "mlruns",
        .progress = isatty(STDERR_FILENO),
        .cancel = &cancel_flag,
    };
    if (batch) {
        if (i >= argc) {
            fprintf(stderr, "lendlab: --batch needs a command\nCommands:\n");
            ll_cmd_list(stderr);
            return LL_EXIT_USAGE;
        }
        if (!strcmp(argv[i], "help")) {
            const ll_cmd_entry *e = i + 1 < argc ? ll_cmd_find(argv[i + 1]) : NULL;
            if (e)
                ll_cmd_usage(e, stdout);
            else
                usage(stdout);
            return LL_EXIT_OK;
        }
        return ll_cmd_run(&ctx, argc - i, argv + i);
    }
    tui_options opt = {
        .file = file,
        .store = store_opt,
        .theme = theme,
        .start_ms = (double)t0.tv_sec * 1000.0 + (double)t0.tv_nsec / 1e6,
    };
    return tui_app_main(&opt);
}
