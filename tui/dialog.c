/* dialog: a modal dialog of a screen — message lines, a list to pick from, a text field. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "dialog.h"

#include <limits.h>
#include <ncurses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw.h"
#include "fmt.h"
#include "grid.h"
#include "keys.h"

static void reset(tui_dialog *d, tui_dialog_kind kind, int tag, const char *title, const char *hint)
{
    tui_lineedit_free(&d->ed);
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->tag = tag;
    snprintf(d->title, sizeof d->title, "%s", title ? title : "");
    snprintf(d->hint, sizeof d->hint, "%s", hint ? hint : "");
}

void tui_dialog_confirm(tui_dialog *d, int tag, const char *title, int allow_yes, int allow_force,
                        const char *hint)
{
    reset(d, TUI_DIALOG_CONFIRM, tag, title, hint);
    d->allow_yes = allow_yes;
    d->allow_force = allow_force;
}

void tui_dialog_pick(tui_dialog *d, int tag, const char *title, int free_text, const char *label,
                     const char *hint)
{
    reset(d, TUI_DIALOG_PICK, tag, title, hint);
    d->free_text = free_text;
    snprintf(d->label, sizeof d->label, "%s", label ? label : "");
}

void tui_dialog_input(tui_dialog *d, int tag, const char *title, const char *label,
                      const char *initial, const char *hint)
{
    reset(d, TUI_DIALOG_INPUT, tag, title, hint);
    snprintf(d->label, sizeof d->label, "%s", label ? label : "");
    if (initial) tui_lineedit_set(&d->ed, initial);
}

void tui_dialog_line_add(tui_dialog *d, tui_slot slot, const char *fmt, ...)
{
    if (d->nlines >= TUI_DIALOG_LINES) return;
    tui_dialog_line *l = &d->lines[d->nlines++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
    l->slot = slot;
}

void tui_dialog_item_add(tui_dialog *d, const char *value, const char *note)
{
    if (d->nitems >= TUI_DIALOG_ITEMS || !value || !*value) return;
    for (size_t i = 0; i < d->nitems; i++)
        if (!strcmp(d->items[i].value, value)) return;
    tui_dialog_item *it = &d->items[d->nitems++];
    snprintf(it->value, sizeof it->value, "%s", value);
    snprintf(it->note, sizeof it->note, "%s", note ? note : "");
}

void tui_dialog_close(tui_dialog *d)
{
    d->kind = TUI_DIALOG_CLOSED;
}

int tui_dialog_is_open(const tui_dialog *d)
{
    return d && d->kind != TUI_DIALOG_CLOSED;
}

size_t tui_dialog_visible(const tui_dialog *d, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nitems; i++)
        if (!d->ed.len || tui_contains_ci(d->items[i].value, d->ed.buf)) idx[n++] = i;
    return n;
}

/* Close with an answer. */
static tui_dialog_result finish(tui_dialog *d, tui_dialog_result r, const char *value)
{
    snprintf(d->value, sizeof d->value, "%s", value ? value : "");
    d->kind = TUI_DIALOG_CLOSED;
    return r;
}

static tui_dialog_result accept(tui_dialog *d)
{
    if (d->kind == TUI_DIALOG_CONFIRM)
        return d->allow_yes ? finish(d, TUI_DIALOG_ACCEPT, "y") : TUI_DIALOG_KEEP;
    if (d->kind == TUI_DIALOG_INPUT) return finish(d, TUI_DIALOG_ACCEPT, d->ed.buf);
    size_t idx[TUI_DIALOG_ITEMS];
    size_t n = tui_dialog_visible(d, idx);
    if (n)
        return finish(d, TUI_DIALOG_ACCEPT, d->items[idx[tui_clamp_cursor(d->sel, (long)n)]].value);
    if (d->free_text && d->ed.len) return finish(d, TUI_DIALOG_ACCEPT, d->ed.buf);
    return TUI_DIALOG_KEEP;
}

static void dialog_move(tui_dialog *d, long delta)
{
    if (d->kind == TUI_DIALOG_PICK) {
        size_t idx[TUI_DIALOG_ITEMS];
        long n = (long)tui_dialog_visible(d, idx);
        d->sel = tui_clamp_cursor(d->sel + delta, n);
    } else {
        d->scroll += delta;
        if (d->scroll > (long)d->nlines - 1) d->scroll = (long)d->nlines - 1;
        if (d->scroll < 0) d->scroll = 0;
    }
}

static int insert_char(tui_dialog *d, int ch)
{
    char mb[MB_LEN_MAX];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, (wchar_t)ch, &st);
    if (n == (size_t)-1) return 0;
    tui_lineedit_insert(&d->ed, mb, n);
    d->sel = 0;
    return 1;
}

tui_dialog_result tui_dialog_key(tui_dialog *d, int key, int is_char)
{
    if (!tui_dialog_is_open(d)) return TUI_DIALOG_KEEP;
    int text = d->kind == TUI_DIALOG_PICK || d->kind == TUI_DIALOG_INPUT;
    if (text && is_char && key >= 32 && key != 127) {
        insert_char(d, key);
        return TUI_DIALOG_KEEP;
    }
    const tui_binding *b = tui_keytable_lookup(&tui_keys_dialog, key);
    if (b) {
        const char *a = b->action;
        if (!strcmp(a, "accept") || !strcmp(a, "yes")) return accept(d);
        if (!strcmp(a, "no")) return finish(d, TUI_DIALOG_CANCEL, NULL);
        if (!strcmp(a, "force"))
            return d->kind == TUI_DIALOG_CONFIRM && d->allow_force
                       ? finish(d, TUI_DIALOG_FORCE, NULL)
                       : TUI_DIALOG_KEEP;
        if (!strcmp(a, "choice prev")) dialog_move(d, -1);
        if (!strcmp(a, "choice next")) dialog_move(d, 1);
        if (!strcmp(a, "complete") && d->kind == TUI_DIALOG_PICK) {
            size_t idx[TUI_DIALOG_ITEMS];
            size_t n = tui_dialog_visible(d, idx);
            if (n) tui_lineedit_set(&d->ed, d->items[idx[tui_clamp_cursor(d->sel, (long)n)]].value);
            d->sel = 0;
        }
        return TUI_DIALOG_KEEP;
    }
    if (!text) return TUI_DIALOG_KEEP;
    const tui_binding *e = tui_keytable_lookup(&tui_keys_prompt, key);
    if (e && strncmp(e->action, "history", 7)) {
        size_t before = d->ed.len;
        tui_lineedit_action(&d->ed, e->action);
        if (d->ed.len != before) d->sel = 0;
    }
    return TUI_DIALOG_KEEP;
}

/* ---- drawing ---- */

void tui_dialog_draw(const tui_dialog *d, tui_rect body)
{
    if (!tui_dialog_is_open(d)) return;
    size_t idx[TUI_DIALOG_ITEMS];
    size_t nvis = d->kind == TUI_DIALOG_PICK ? tui_dialog_visible(d, idx) : 0;
    int want_w = tui_text_width(d->title, strlen(d->title)) + 8;
    for (size_t i = 0; i < d->nlines; i++) {
        int w = tui_text_width(d->lines[i].text, strlen(d->lines[i].text)) + 4;
        if (w > want_w) want_w = w;
    }
    for (size_t i = 0; i < d->nitems; i++) {
        int w = tui_text_width(d->items[i].value, strlen(d->items[i].value)) +
                tui_text_width(d->items[i].note, strlen(d->items[i].note)) + 8;
        if (w > want_w) want_w = w;
    }
    int hw = tui_text_width(d->hint, strlen(d->hint)) + 4;
    if (hw > want_w) want_w = hw;
    if (want_w < 56) want_w = 56;
    int w = want_w < body.w - 4 ? want_w : body.w - 4;
    if (w > 140) w = 140;
    int field = d->kind == TUI_DIALOG_CONFIRM ? 0 : 1;
    int room = body.h - 2 /* border */ - 2 /* hint and the blank above it */ - field;
    int list = d->kind == TUI_DIALOG_PICK ? (int)(nvis ? nvis : 1) : 0;
    int msg = (int)d->nlines;
    if (msg + list + (msg && list) > room) {
        /* the list keeps at least half of the room, the message the rest */
        int lmax = list < room / 2 ? list : room / 2;
        if (msg > room - lmax - (msg && lmax)) msg = room - lmax - (msg && lmax);
        if (msg < 0) msg = 0;
        list = room - msg - (msg && list);
        if (list > (int)nvis && nvis) list = (int)nvis;
    }
    int h = 2 + msg + (msg && (list || field) ? 1 : 0) + list + field + 2;
    if (h > body.h) h = body.h;
    tui_rect r = {body.y + (body.h - h) / 2, body.x + (body.w - w) / 2, h, w};
    tui_draw_clear(r, TUI_SLOT_TEXT);
    tui_draw_box(r, TUI_SLOT_PANE_BORDER_FOCUS, d->title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    int x = in.x + 1, iw = in.w - 2, y = in.y;
    long first = d->scroll;
    if (first > (long)d->nlines - msg) first = (long)d->nlines - msg;
    if (first < 0) first = 0;
    for (int i = 0; i < msg; i++) {
        const tui_dialog_line *l = &d->lines[first + i];
        tui_draw_text(y++, x, iw, l->slot, l->text, TUI_ALIGN_LEFT);
    }
    if (msg && (list || field)) y++;
    if (d->kind == TUI_DIALOG_PICK) {
        long sel = tui_clamp_cursor(d->sel, (long)nvis);
        long top = tui_scroll_follow(0, sel, list, (long)nvis);
        if (!nvis)
            tui_draw_text(y, x, iw, TUI_SLOT_TEXT_DIM,
                          d->free_text ? "(no choice matches: Enter takes the typed text)"
                                       : "(no choice matches)",
                          TUI_ALIGN_LEFT);
        /* notes line up in a column after the longest value (within reason) */
        int vw = 0;
        for (size_t i = 0; i < nvis; i++) {
            int tw = tui_text_width(d->items[idx[i]].value, strlen(d->items[idx[i]].value));
            if (tw > vw) vw = tw;
        }
        if (vw > iw / 2) vw = iw / 2;
        for (int i = 0; i < list && top + i < (long)nvis; i++) {
            const tui_dialog_item *it = &d->items[idx[top + i]];
            int is_sel = top + i == sel;
            tui_slot s = is_sel ? TUI_SLOT_SELECTION : TUI_SLOT_TEXT;
            tui_draw_fill(y + i, x, iw, s);
            int used = tui_draw_str(y + i, x + 1, iw - 1, s, it->value);
            int nx = used > vw ? used + 3 : vw + 3;
            if (it->note[0] && nx + 2 < iw)
                tui_draw_text(y + i, x + nx, iw - nx, is_sel ? s : TUI_SLOT_TEXT_DIM, it->note,
                              TUI_ALIGN_LEFT);
        }
        y += list;
    }
    if (field) {
        int lw = tui_draw_str(y, x, iw, TUI_SLOT_TEXT, d->label);
        int fx = x + lw + (lw ? 1 : 0), fw = iw - lw - (lw ? 1 : 0);
        tui_draw_fill(y, fx, fw, TUI_SLOT_PROMPT);
        /* keep the cursor in view: skip characters from the left when the text is long */
        size_t start = 0;
        const tui_lineedit *e = &d->ed;
        while (start < e->cur && tui_text_width(e->buf + start, e->cur - start) >= fw - 1) {
            start++;
            while (start < e->cur && ((unsigned char)e->buf[start] & 0xC0) == 0x80) start++;
        }
        tui_draw_str(y, fx, fw, TUI_SLOT_PROMPT, e->buf + start);
        int cx = fx + tui_text_width(e->buf + start, e->cur - start);
        if (cx < fx + fw) {
            char under[8] = " ";
            if (e->cur < e->len) {
                size_t n = 1;
                while (e->cur + n < e->len && ((unsigned char)e->buf[e->cur + n] & 0xC0) == 0x80)
                    n++;
                snprintf(under, sizeof under, "%.*s", (int)n, e->buf + e->cur);
            }
            tui_draw_str(y, cx, 1, TUI_SLOT_SELECTION, under);
        }
        y++;
    }
    tui_draw_text(in.y + in.h - 1, x, iw, TUI_SLOT_TEXT_DIM, d->hint, TUI_ALIGN_LEFT);
}
