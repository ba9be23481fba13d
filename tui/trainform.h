/* trainform: the Train screen's form — fields, their values, checks and the job it describes. */
#ifndef TUI_TRAINFORM_H
#define TUI_TRAINFORM_H

#include <stddef.h>

#include "model.h"
#include "trainrun.h"

#define TUI_TF_TEXT 1024

/* The fields around the model's parameters, in form order: dataset, target, positive label and
 * model come first, then one field per parameter of the model, then the rest. */
typedef enum {
    TUI_TF_DATASET = 0,
    TUI_TF_TARGET,
    TUI_TF_POSITIVE,
    TUI_TF_MODEL,
    TUI_TF_TEST_FILE,
    TUI_TF_TEST_FRACTION,
    TUI_TF_SEED,
    TUI_TF_EXPERIMENT,
    TUI_TF_RUN_NAME,
    TUI_TF_REGISTER,
    TUI_TF_ALIAS,
    TUI_TF_FIXED_COUNT
} tui_tf_fixed;

/* A value of the form: the accepted text, or the last refused entry with the reason. */
typedef struct {
    char text[TUI_TF_TEXT];
    char bad[TUI_TF_TEXT]; /* "" when the last entry was accepted */
    char err[320];
} tui_tf_value;

/* The whole form: a plain struct (no pointers), so a job takes a copy of it. */
typedef struct {
    ll_model_kind kind;
    ll_model_params params[LL_MODEL_KIND_COUNT]; /* per kind: switching back keeps the values */
    char pbad[LL_MODEL_KIND_COUNT][LL_MODEL_MAX_PARAMS][64];
    char perr[LL_MODEL_KIND_COUNT][LL_MODEL_MAX_PARAMS][320];
    tui_tf_value v[TUI_TF_FIXED_COUNT];
    int typed_dataset, typed_target; /* typed here: no longer following the Datasets screen */
    /* the refusal shown comes from the last whole-form check (cleared by the next one) */
    unsigned char checked[TUI_TF_FIXED_COUNT];
    unsigned char pchecked[LL_MODEL_KIND_COUNT][LL_MODEL_MAX_PARAMS];
    char def_experiment[256];
} tui_trainform;

/* How one field is shown. */
typedef struct {
    int fixed;      /* tui_tf_fixed, or -1 for a model parameter */
    int param;      /* index in ll_model_param_specs for a parameter, else -1 */
    char label[64]; /* "dataset", "eta" */
    char value[TUI_TF_TEXT];
    char hint[400];  /* default and valid range, or what an empty value means */
    const char *bad; /* a refused entry ("" or NULL when none) */
    const char *err; /* why it was refused ("" or NULL when none) */
    int choice;      /* Left/Right cycle its values */
    int is_default;  /* the value is the default (or empty) */
} tui_tf_view;

/* A form for kind with every default; runs go to experiment (NULL or "" = "Default"). */
void tui_trainform_init(tui_trainform *f, ll_model_kind kind, const char *experiment);
/* Number of fields (depends on the model). */
int tui_trainform_nfields(const tui_trainform *f);
/* Index of a fixed field (its place depends on the number of parameters). */
int tui_trainform_index(const tui_trainform *f, tui_tf_fixed which);
/* Index of the field of parameter name of the current model, or -1. */
int tui_trainform_param_index(const tui_trainform *f, const char *name);
/* Describe field i for drawing. */
void tui_trainform_view(const tui_trainform *f, int i, tui_tf_view *out);
/* The text to start editing field i with (its value). */
const char *tui_trainform_edit_text(const tui_trainform *f, int i, char *buf, size_t len);
/* Set field i from text, checked as `train` checks it (parameters by ll_model_params_set).
 * Returns 0 when accepted; -1 when refused: the value stays, the entry and the reason are
 * kept beside the field. An empty text restores the default. */
int tui_trainform_set(tui_trainform *f, int i, const char *text);
/* Restore the default of field i (clearing any refusal). */
void tui_trainform_reset(tui_trainform *f, int i);
/* Step a choice field (model, true/false, enumerations) by dir (+1/-1). Returns 0, or -1 when
 * the field has no choices. */
int tui_trainform_cycle(tui_trainform *f, int i, int dir);
/* Follow the Datasets screen: set dataset and target unless they were typed here. */
void tui_trainform_follow(tui_trainform *f, const char *dataset, const char *target);
/* Clear every refusal mark. */
void tui_trainform_clear_errors(tui_trainform *f);
/* Fill cfg (pointing into f, tracked into store) and check it with ll_trainrun_check. Returns
 * -1 when it passes, else the index of the field at fault, whose refusal reason is set (and
 * also written to msg). */
int tui_trainform_build(tui_trainform *f, const char *store, ll_trainrun_cfg *cfg, char *msg,
                        size_t msglen);

#endif
