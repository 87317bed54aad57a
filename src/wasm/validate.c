/* validate.c: the operand (type) stack and control stack of the spec's
 * validation algorithm (appendix "Validation Algorithm"). lower.c drives them
 * while it reads a function body, and also tracks slot heights here so that
 * branches can be lowered to fixed stack moves. */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "wasm/wasm_int.h"

void
wasm_val_init(struct wasm_validator *v)
{
    memset(v, 0, sizeof(*v));
}

void
wasm_val_release(struct wasm_validator *v)
{
    free(v->vals);
    free(v->ctrls);
    memset(v, 0, sizeof(*v));
}

void
wasm_val_grow(struct wasm_validator *v)
{
    v->val_cap = v->val_cap ? v->val_cap * 2 : 64;
    v->vals = xrealloc(v->vals, v->val_cap);
}

bool
wasm_val_pop_types(struct wasm_validator *v, const enum wasm_valtype *types, uint32_t count)
{
    for (uint32_t i = count; i-- > 0;)
        if (!wasm_val_pop(v, (uint8_t)types[i], NULL))
            return false;
    return true;
}

void
wasm_val_push_types(struct wasm_validator *v, const enum wasm_valtype *types, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        wasm_val_push(v, (uint8_t)types[i]);
}

struct wasm_ctrl *
wasm_ctrl_push(struct wasm_validator *v, uint8_t opcode, const enum wasm_valtype *params,
               uint32_t param_count, const enum wasm_valtype *results, uint32_t result_count)
{
    if (v->ctrl_count == v->ctrl_cap) {
        v->ctrl_cap = v->ctrl_cap ? v->ctrl_cap * 2 : 16;
        v->ctrls = xrealloc(v->ctrls, v->ctrl_cap * sizeof(*v->ctrls));
    }
    struct wasm_ctrl *c = &v->ctrls[v->ctrl_count++];
    const enum wasm_valtype *label_types = opcode == 0x03 ? params : results;
    uint32_t label_count = opcode == 0x03 ? param_count : result_count;
    uint32_t label_slots = 0;
    for (uint32_t i = 0; i < label_count; i++)
        label_slots += wasm_slots(label_types[i]);
    *c = (struct wasm_ctrl){
        .opcode = opcode,
        .param_count = param_count,
        .result_count = result_count,
        .params = params,
        .results = results,
        .label_types = label_types,
        .label_count = label_count,
        .label_slots = label_slots,
        .height = v->val_count,
        .slots = v->slots,
    };
    if (param_count)
        wasm_val_push_types(v, params, param_count);
    return c;
}

bool
wasm_ctrl_pop(struct wasm_validator *v, struct wasm_ctrl *out)
{
    struct wasm_ctrl *c = &v->ctrls[v->ctrl_count - 1];
    if (!wasm_val_pop_types(v, c->results, c->result_count))
        return false;
    if (v->val_count != c->height)
        return false;
    *out = *c;
    v->ctrl_count--;
    return true;
}

void
wasm_val_unreachable(struct wasm_validator *v)
{
    struct wasm_ctrl *c = &v->ctrls[v->ctrl_count - 1];
    v->val_count = c->height;
    v->slots = c->slots;
    c->unreachable = true;
}
