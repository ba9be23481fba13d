/* trainform: the Train screen's form — fields, their values, checks and the job it describes. */
#include "trainform.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "numfmt.h"
#include "registry.h"

static const char *const fixed_label[TUI_TF_FIXED_COUNT] = {
    "dataset", "target",     "positive label", "model",       "test file", "test fraction",
    "seed",    "experiment", "run name",       "register as", "alias",
};

static int nparams(ll_model_kind k)
{
    int n = 0;
    ll_model_param_specs(k, &n);
    return n;
}

/* The field at index i: a fixed field (*param -1) or a parameter (returns -1, *param set). */
static int field_at(const tui_trainform *f, int i, int *param)
{
    int np = nparams(f->kind);
    *param = -1;
    if (i <= TUI_TF_MODEL) return i;
    if (i < TUI_TF_MODEL + 1 + np) {
        *param = i - TUI_TF_MODEL - 1;
        return -1;
    }
    return TUI_TF_TEST_FILE + (i - TUI_TF_MODEL - 1 - np);
}

/* Copy src into dst (len bytes), cutting it short when it does not fit. */
static void copy(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n >= len) n = len - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void set_text(tui_tf_value *v, const char *text)
{
    snprintf(v->text, sizeof v->text, "%s", text ? text : "");
    v->bad[0] = v->err[0] = '\0';
}

static void refuse(tui_tf_value *v, const char *text, const char *why)
{
    snprintf(v->bad, sizeof v->bad, "%s", text);
    snprintf(v->err, sizeof v->err, "%s", why);
}

static const char *fixed_default_text(const tui_trainform *f, int which)
{
    if (which == TUI_TF_TEST_FRACTION) return "0.2";
    if (which == TUI_TF_SEED) return "42";
    if (which == TUI_TF_EXPERIMENT) return f->def_experiment;
    return "";
}

static void fixed_default(tui_trainform *f, int which)
{
    if (which == TUI_TF_MODEL) return;
    set_text(&f->v[which], fixed_default_text(f, which));
    if (which == TUI_TF_DATASET) f->typed_dataset = 0;
    if (which == TUI_TF_TARGET) f->typed_target = 0;
}

void tui_trainform_init(tui_trainform *f, ll_model_kind kind, const char *experiment)
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    snprintf(f->def_experiment, sizeof f->def_experiment, "%s",
             experiment && *experiment ? experiment : "Default");
    for (int k = 0; k < LL_MODEL_KIND_COUNT; k++)
        ll_model_params_default((ll_model_kind)k, &f->params[k]);
    for (int i = 0; i < TUI_TF_FIXED_COUNT; i++) fixed_default(f, i);
    set_text(&f->v[TUI_TF_MODEL], ll_model_kind_name(kind));
}

int tui_trainform_nfields(const tui_trainform *f)
{
    return TUI_TF_FIXED_COUNT + nparams(f->kind);
}

int tui_trainform_index(const tui_trainform *f, tui_tf_fixed which)
{
    if (which <= TUI_TF_MODEL) return (int)which;
    return (int)which + nparams(f->kind);
}

int tui_trainform_param_index(const tui_trainform *f, const char *name)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(f->kind, &n);
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, name)) return TUI_TF_MODEL + 1 + i;
    return -1;
}

void tui_trainform_view(const tui_trainform *f, int i, tui_tf_view *o)
{
    memset(o, 0, sizeof *o);
    int p, which = field_at(f, i, &p);
    o->fixed = which;
    o->param = p;
    if (which < 0) {
        int n;
        const ll_param_spec *s = ll_model_param_specs(f->kind, &n);
        const ll_model_params *mp = &f->params[f->kind];
        char def[64], range[96];
        /* the learner's seed is logged as learner_seed: "seed" is the splits' */
        snprintf(o->label, sizeof o->label, "%s",
                 strcmp(s[p].name, "seed") ? s[p].name : "learner_seed");
        ll_model_param_text(&s[p], mp->value[p], o->value, sizeof o->value);
        ll_model_param_text(&s[p], s[p].def, def, sizeof def);
        snprintf(o->hint, sizeof o->hint, "default %s; %s; %s", def,
                 ll_model_param_range(&s[p], range, sizeof range), s[p].help);
        o->bad = f->pbad[f->kind][p];
        o->err = f->perr[f->kind][p];
        o->choice = s[p].type == LL_PARAM_BOOL || s[p].type == LL_PARAM_ENUM;
        o->is_default = mp->value[p] == s[p].def;
        if (!strcmp(s[p].name, "seed") && !ll_model_params_is_set(mp, "seed")) {
            snprintf(o->value, sizeof o->value, "%s", f->v[TUI_TF_SEED].text);
            snprintf(o->hint, sizeof o->hint, "follows the seed below unless set here; %s",
                     ll_model_param_range(&s[p], range, sizeof range));
            o->is_default = 1;
        }
        return;
    }
    const tui_tf_value *v = &f->v[which];
    snprintf(o->label, sizeof o->label, "%s", fixed_label[which]);
    snprintf(o->value, sizeof o->value, "%s", v->text);
    o->bad = v->bad;
    o->err = v->err;
    o->is_default = 0;
    const char *h = "";
    switch ((tui_tf_fixed)which) {
    case TUI_TF_DATASET:
        h = f->typed_dataset ? "typed here (d: follow the Datasets screen again)"
                             : "the file loaded on the Datasets screen (e: type a path)";
        o->is_default = !f->typed_dataset;
        break;
    case TUI_TF_TARGET:
        h = f->typed_target ? "typed here (d: follow the Datasets screen again)"
                            : "the target chosen on the Datasets screen (t there)";
        o->is_default = !f->typed_target;
        break;
    case TUI_TF_POSITIVE:
        h = "empty: detected from the labels, as describe does";
        break;
    case TUI_TF_MODEL:
        h = "logreg | forest | gbdt (Left/Right)";
        o->choice = 1;
        break;
    case TUI_TF_TEST_FILE:
        h = "empty: hold out the test fraction of the dataset";
        break;
    case TUI_TF_TEST_FRACTION:
        h = f->v[TUI_TF_TEST_FILE].text[0] ? "ignored: the test file gives the test rows"
                                           : "held-out share of the rows, in (0, 1); default 0.2";
        break;
    case TUI_TF_SEED:
        h = "seed of the splits (and of the learner); default 42";
        break;
    case TUI_TF_EXPERIMENT:
        h = "experiment to record the run in, created when new";
        break;
    case TUI_TF_RUN_NAME:
        h = "empty: MODEL-YYYYmmdd-HHMMSS";
        break;
    case TUI_TF_REGISTER:
        h = "register the finished run's model under this name (empty: no)";
        break;
    case TUI_TF_ALIAS:
        h = "with a name above: point this alias (e.g. staging) at the new version";
        break;
    default:
        break;
    }
    snprintf(o->hint, sizeof o->hint, "%s", h);
    if (which == TUI_TF_MODEL)
        o->is_default = f->kind == LL_MODEL_GBDT;
    else if (which != TUI_TF_DATASET && which != TUI_TF_TARGET)
        o->is_default = !strcmp(v->text, fixed_default_text(f, which));
}

const char *tui_trainform_edit_text(const tui_trainform *f, int i, char *buf, size_t len)
{
    tui_tf_view v;
    tui_trainform_view(f, i, &v);
    snprintf(buf, len, "%s", v.bad && v.bad[0] ? v.bad : v.value);
    return buf;
}

/* A readable local file, or a URL (fetched later); standard input is the terminal here. */
static int check_file(const char *text, char *why, size_t len)
{
    if (!strcmp(text, "-")) {
        snprintf(why, len, "standard input is the terminal here; give a file name");
        return -1;
    }
    if (ll_fetch_is_url(text)) return 0;
    if (access(text, R_OK)) {
        snprintf(why, len, "cannot read %s", text);
        return -1;
    }
    return 0;
}

int tui_trainform_set(tui_trainform *f, int i, const char *text)
{
    int p, which = field_at(f, i, &p);
    char why[320];
    if (which < 0) {
        int n;
        const ll_param_spec *s = ll_model_param_specs(f->kind, &n);
        ll_model_params *mp = &f->params[f->kind];
        f->pbad[f->kind][p][0] = f->perr[f->kind][p][0] = '\0';
        if (!*text) {
            mp->value[p] = s[p].def;
            mp->set[p] = 0;
            return 0;
        }
        ll_model_params tmp = *mp;
        ll_error err;
        ll_error_clear(&err);
        if (ll_model_params_set(&tmp, s[p].name, text, &err)) {
            copy(f->pbad[f->kind][p], sizeof f->pbad[f->kind][p], text);
            copy(f->perr[f->kind][p], sizeof f->perr[f->kind][p], err.msg);
            return -1;
        }
        *mp = tmp;
        return 0;
    }
    tui_tf_value *v = &f->v[which];
    if (!*text && which != TUI_TF_MODEL) {
        fixed_default(f, which);
        return 0;
    }
    double x;
    switch ((tui_tf_fixed)which) {
    case TUI_TF_DATASET:
    case TUI_TF_TEST_FILE:
        if (check_file(text, why, sizeof why)) {
            refuse(v, text, why);
            return -1;
        }
        if (which == TUI_TF_DATASET) f->typed_dataset = 1;
        break;
    case TUI_TF_TARGET:
        f->typed_target = 1;
        break;
    case TUI_TF_MODEL: {
        int k = ll_model_kind_parse(text);
        if (k < 0) {
            refuse(v, text, "unknown model (logreg, forest or gbdt)");
            return -1;
        }
        f->kind = (ll_model_kind)k;
        set_text(v, ll_model_kind_name(f->kind));
        return 0;
    }
    case TUI_TF_TEST_FRACTION:
        if (!ll_numparse(text, strlen(text), &x) || !(x > 0 && x < 1)) {
            refuse(v, text, "the test fraction must be a number in (0, 1)");
            return -1;
        }
        break;
    case TUI_TF_SEED:
        if (!ll_numparse(text, strlen(text), &x) || x != floor(x) || x < 0 || x > 4294967295.0) {
            refuse(v, text, "the seed must be an integer 0..4294967295");
            return -1;
        }
        break;
    case TUI_TF_REGISTER:
        if (!ll_registry_valid_name(text)) {
            snprintf(why, sizeof why, "invalid model name '%s' (no '/', '%%' or leading '.')",
                     text);
            refuse(v, text, why);
            return -1;
        }
        break;
    case TUI_TF_ALIAS:
        if (!ll_registry_valid_alias(text)) {
            snprintf(why, sizeof why,
                     "invalid alias '%s' (letters, digits, '_' and '-'; not 'latest' nor "
                     "v<number>)",
                     text);
            refuse(v, text, why);
            return -1;
        }
        break;
    default:
        break;
    }
    set_text(v, text);
    return 0;
}

void tui_trainform_reset(tui_trainform *f, int i)
{
    int p, which = field_at(f, i, &p);
    if (which < 0) {
        tui_trainform_set(f, i, "");
        return;
    }
    if (which == TUI_TF_MODEL) {
        f->v[which].bad[0] = f->v[which].err[0] = '\0';
        f->kind = LL_MODEL_GBDT;
        set_text(&f->v[which], ll_model_kind_name(f->kind));
        return;
    }
    fixed_default(f, which);
}

int tui_trainform_cycle(tui_trainform *f, int i, int dir)
{
    int p, which = field_at(f, i, &p);
    int step = dir < 0 ? -1 : 1;
    if (which == TUI_TF_MODEL) {
        int k = ((int)f->kind + step + LL_MODEL_KIND_COUNT) % LL_MODEL_KIND_COUNT;
        f->kind = (ll_model_kind)k;
        set_text(&f->v[which], ll_model_kind_name(f->kind));
        return 0;
    }
    if (which >= 0) return -1;
    int n;
    const ll_param_spec *s = ll_model_param_specs(f->kind, &n);
    int count = 0;
    if (s[p].type == LL_PARAM_BOOL) count = 2;
    if (s[p].type == LL_PARAM_ENUM)
        while (s[p].choices[count]) count++;
    if (!count) return -1;
    ll_model_params *mp = &f->params[f->kind];
    int cur = (int)mp->value[p];
    mp->value[p] = (double)((cur + step + count) % count);
    mp->set[p] = 1;
    f->pbad[f->kind][p][0] = f->perr[f->kind][p][0] = '\0';
    return 0;
}

void tui_trainform_follow(tui_trainform *f, const char *dataset, const char *target)
{
    if (!f->typed_dataset && strcmp(f->v[TUI_TF_DATASET].text, dataset ? dataset : ""))
        set_text(&f->v[TUI_TF_DATASET], dataset);
    if (!f->typed_target && strcmp(f->v[TUI_TF_TARGET].text, target ? target : ""))
        set_text(&f->v[TUI_TF_TARGET], target);
}

void tui_trainform_clear_errors(tui_trainform *f)
{
    for (int i = 0; i < TUI_TF_FIXED_COUNT; i++) f->v[i].bad[0] = f->v[i].err[0] = '\0';
    memset(f->pbad, 0, sizeof f->pbad);
    memset(f->perr, 0, sizeof f->perr);
}

/* The field a parameter check message is about: "gbdt: eta must be ..." names eta; learner
 * checks that name no single parameter land on the model field. */
static int param_field(const tui_trainform *f, const char *msg)
{
    const char *kind = ll_model_kind_name(f->kind);
    size_t kl = strlen(kind);
    if (!strncmp(msg, kind, kl) && !strncmp(msg + kl, ": ", 2)) msg += kl + 2;
    int n;
    const ll_param_spec *s = ll_model_param_specs(f->kind, &n);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(s[i].name);
        if (!strncmp(msg, s[i].name, l) && (msg[l] == ' ' || msg[l] == ':'))
            return TUI_TF_MODEL + 1 + i;
    }
    return TUI_TF_MODEL;
}

int tui_trainform_build(tui_trainform *f, const char *store, ll_trainrun_cfg *c, char *msg,
                        size_t msglen)
{
    memset(c, 0, sizeof *c);
    const tui_tf_value *v = f->v;
    c->data = v[TUI_TF_DATASET].text;
    c->target = v[TUI_TF_TARGET].text;
    c->positive = v[TUI_TF_POSITIVE].text[0] ? v[TUI_TF_POSITIVE].text : NULL;
    c->params = f->params[f->kind];
    double x = 42;
    ll_numparse(v[TUI_TF_SEED].text, strlen(v[TUI_TF_SEED].text), &x);
    c->seed = (long)x;
    c->test_path = v[TUI_TF_TEST_FILE].text[0] ? v[TUI_TF_TEST_FILE].text : NULL;
    x = 0.2;
    ll_numparse(v[TUI_TF_TEST_FRACTION].text, strlen(v[TUI_TF_TEST_FRACTION].text), &x);
    c->test_fraction = x;
    c->track = 1;
    c->store = store;
    c->experiment = v[TUI_TF_EXPERIMENT].text[0] ? v[TUI_TF_EXPERIMENT].text : NULL;
    c->run_name = v[TUI_TF_RUN_NAME].text[0] ? v[TUI_TF_RUN_NAME].text : NULL;
    c->source = "lendlab workbench";
    c->reg_name = v[TUI_TF_REGISTER].text[0] ? v[TUI_TF_REGISTER].text : NULL;
    c->alias = v[TUI_TF_ALIAS].text[0] ? v[TUI_TF_ALIAS].text : NULL;

    /* what the previous check refused may be fine now that other fields changed */
    for (int i = 0; i < TUI_TF_FIXED_COUNT; i++)
        if (f->checked[i]) f->v[i].bad[0] = f->v[i].err[0] = '\0';
    for (int k = 0; k < LL_MODEL_KIND_COUNT; k++)
        for (int i = 0; i < LL_MODEL_MAX_PARAMS; i++)
            if (f->pchecked[k][i]) f->pbad[k][i][0] = f->perr[k][i][0] = '\0';
    memset(f->checked, 0, sizeof f->checked);
    memset(f->pchecked, 0, sizeof f->pchecked);
    /* a refusal still shown means the value in force is not what the user last typed */
    int n = tui_trainform_nfields(f);
    for (int i = 0; i < n; i++) {
        tui_tf_view fv;
        tui_trainform_view(f, i, &fv);
        if (fv.err && fv.err[0]) {
            snprintf(msg, msglen, "%s: %s", fv.label, fv.err);
            return i;
        }
    }
    ll_trainrun_field field;
    ll_error err;
    ll_error_clear(&err);
    char why[320];
    if (!c->data[0]) {
        field = LL_TRAINRUN_F_DATA;
        snprintf(err.msg, sizeof err.msg,
                 "no dataset: load one on the Datasets screen or type a path");
    } else if (!c->target[0]) {
        field = LL_TRAINRUN_F_TARGET;
        snprintf(err.msg, sizeof err.msg, "no target: press t on a column of the Datasets screen");
    } else if (check_file(c->data, why, sizeof why)) {
        field = LL_TRAINRUN_F_DATA;
        snprintf(err.msg, sizeof err.msg, "%s", why);
    } else if (ll_trainrun_check(c, &field, &err) == LL_OK) {
        return -1;
    }
    int idx;
    switch (field) {
    case LL_TRAINRUN_F_DATA:
        idx = TUI_TF_DATASET;
        break;
    case LL_TRAINRUN_F_TARGET:
        idx = TUI_TF_TARGET;
        break;
    case LL_TRAINRUN_F_SEED:
        idx = tui_trainform_index(f, TUI_TF_SEED);
        break;
    case LL_TRAINRUN_F_PARAMS:
        idx = param_field(f, err.msg);
        break;
    case LL_TRAINRUN_F_TEST_FRACTION:
        idx = tui_trainform_index(f, TUI_TF_TEST_FRACTION);
        break;
    case LL_TRAINRUN_F_EXPERIMENT:
        idx = tui_trainform_index(f, TUI_TF_EXPERIMENT);
        break;
    case LL_TRAINRUN_F_RUN_NAME:
        idx = tui_trainform_index(f, TUI_TF_RUN_NAME);
        break;
    case LL_TRAINRUN_F_REGISTER:
        idx = tui_trainform_index(f, TUI_TF_REGISTER);
        break;
    case LL_TRAINRUN_F_ALIAS:
        idx = tui_trainform_index(f, TUI_TF_ALIAS);
        break;
    default:
        idx = TUI_TF_MODEL;
        break;
    }
    int p, which = field_at(f, idx, &p);
    if (which < 0) {
        copy(f->perr[f->kind][p], sizeof f->perr[f->kind][p], err.msg);
        f->pchecked[f->kind][p] = 1;
    } else {
        tui_tf_value *fv = &f->v[which];
        copy(fv->err, sizeof fv->err, err.msg);
        f->checked[which] = 1;
    }
    snprintf(msg, msglen, "%s", err.msg);
    return idx;
}
