/* config: the workbench's files — config file, recently opened datasets, data directory list. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static void add_err(char *errs, size_t errlen, const char *fname, long line, const char *msg,
                    const char *arg)
{
    if (!errs || !errlen) return;
    size_t l = strlen(errs);
    if (l >= errlen - 1) return;
    snprintf(errs + l, errlen - l, "%s%s:%ld: %s%.60s%s", l ? "; " : "", fname, line, msg,
             arg ? arg : "", arg ? "'" : "");
}

int tui_config_parse(const char *text, size_t len, const char *fname, tui_config *c, char *errs,
                     size_t errlen)
{
    int bad = 0;
    long lineno = 0;
    size_t pos = 0;
    if (errs && errlen) errs[0] = '\0';
    if (!fname) fname = "config";
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        lineno++;
        char line[1400];
        size_t n = end - pos;
        pos = end + 1;
        if (n >= sizeof line) {
            add_err(errs, errlen, fname, lineno, "line too long", NULL);
            bad++;
            continue;
        }
        memcpy(line, text + pos - n - 1, n);
        line[n] = '\0';
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            add_err(errs, errlen, fname, lineno, "expected 'key = value', got '", s);
            bad++;
            continue;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (!*val) {
            add_err(errs, errlen, fname, lineno, "empty value for '", key);
            bad++;
            continue;
        }
        if (!strcmp(key, "theme"))
            snprintf(c->theme, sizeof c->theme, "%s", val);
        else if (!strcmp(key, "store"))
            snprintf(c->store, sizeof c->store, "%s", val);
        else if (!strcmp(key, "experiment"))
            snprintf(c->experiment, sizeof c->experiment, "%s", val);
        else if (!strcmp(key, "policy"))
            snprintf(c->policy, sizeof c->policy, "%s", val);
        else {
            add_err(errs, errlen, fname, lineno,
                    "unknown setting (theme, store, experiment, policy): '", key);
            bad++;
        }
    }
    return bad;
}

int tui_config_load(const char *path, tui_config *c, char *errs, size_t errlen)
{
    if (errs && errlen) errs[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;
        snprintf(errs, errlen, "%s: %s", path, strerror(errno));
        return 1;
    }
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        snprintf(errs, errlen, "%s: read error", path);
        return 1;
    }
    return tui_config_parse(buf, n, path, c, errs, errlen);
}

static const char *xdg_path(const char *var, const char *fallback, const char *leaf, char *buf,
                            size_t len)
{
    const char *x = getenv(var), *home = getenv("HOME");
    if (x && x[0] == '/')
        snprintf(buf, len, "%s/lendlab/%s", x, leaf);
    else if (home && *home)
        snprintf(buf, len, "%s/%s/lendlab/%s", home, fallback, leaf);
    else
        return NULL;
    return buf;
}

const char *tui_config_path(char *buf, size_t len)
{
    return xdg_path("XDG_CONFIG_HOME", ".config", "config", buf, len);
}

const char *tui_recent_path(char *buf, size_t len)
{
    return xdg_path("XDG_STATE_HOME", ".local/state", "recent", buf, len);
}

void tui_strv_free(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

size_t tui_recent_load(const char *path, char ***files, size_t max)
{
    *files = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char **v = calloc(max ? max : 1, sizeof *v);
    size_t n = 0;
    char line[4096];
    while (v && n < max && fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (!*s) continue;
        if (!(v[n] = strdup(s))) break;
        n++;
    }
    fclose(f);
    *files = v;
    return n;
}

int tui_recent_add(char ***files, size_t *n, const char *file, size_t max)
{
    char **v = *files;
    size_t k = 0;
    while (k < *n && strcmp(v[k], file)) k++;
    if (k < *n) {
        char *hit = v[k];
        memmove(v + 1, v, k * sizeof *v);
        v[0] = hit;
        return 0;
    }
    char *copy = strdup(file);
    if (!copy) return -1;
    char **nv = realloc(v, (*n + 1) * sizeof *nv);
    if (!nv) {
        free(copy);
        return -1;
    }
    memmove(nv + 1, nv, *n * sizeof *nv);
    nv[0] = copy;
    (*n)++;
    while (*n > max) free(nv[--(*n)]);
    *files = nv;
    return 0;
}

static int mkdir_p(const char *dir)
{
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

int tui_recent_save(const char *path, char *const *files, size_t n)
{
    char dir[2048], tmp[2100];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir_p(dir)) return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", files[i]);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_ext(const char *name)
{
    static const char *const ext[] = {".csv", ".tsv", ".txt"};
    size_t l = strlen(name);
    for (size_t i = 0; i < 3; i++)
        if (l > 4 && !strcasecmp(name + l - 4, ext[i])) return 1;
    return 0;
}

size_t tui_list_datasets(const char *dir, char ***names)
{
    *names = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    char **v = NULL;
    size_t n = 0, cap = 0;
    const struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !has_ext(de->d_name)) continue;
        char full[4096];
        struct stat sb;
        snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
        if (stat(full, &sb) || !S_ISREG(sb.st_mode)) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nv = realloc(v, nc * sizeof *nv);
            if (!nv) break;
            v = nv;
            cap = nc;
        }
        if (!(v[n] = strdup(de->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) qsort(v, n, sizeof *v, cmp_str);
    *names = v;
    return n;
}
