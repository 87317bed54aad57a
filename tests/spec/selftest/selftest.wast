;; tests/spec/selftest/selftest.wast: checks perch-spectest itself.
;; Every command marked ";; FAIL" must be reported as failed, every command
;; marked ";; SKIP" as skipped, and every other one must pass (checked by
;; selftest.sh; the markers are on the command's first line).

(module $M
  (func $f (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "arith_nan") (result f32) (f32.const nan:0x600000))
  (func (export "signalling_nan") (result f32) (f32.const nan:0x200000))
  (func (export "canon_nan") (result f64) (f64.const -nan))
  (func (export "f32_bits") (result f32) (f32.const -0x1.fffffep+127))
  (func (export "i64") (result i64) (i64.const -1))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "null") (result funcref) (ref.null func))
  (func (export "fref") (result funcref) (ref.func $f))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $rec (export "rec") (call $rec))
  (func (export "two") (result i32 i64) (i32.const 1) (i64.const 2))
  (func (export "spin") (loop $l (br $l)))
  (global (export "g") i32 (i32.const 42))
)

(invoke "add" (i32.const 1) (i32.const 1))
(invoke "div" (i32.const 0)) ;; FAIL
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4)) ;; FAIL
(assert_return (invoke "add" (i32.const -1) (i32.const 0)) (i32.const 0xffffffff))
(assert_return (invoke "i64") (i64.const 0xffffffffffffffff))
(assert_return (invoke "i64") (i64.const 0x7fffffffffffffff)) ;; FAIL
(assert_return (invoke "arith_nan") (f32.const nan:arithmetic))
(assert_return (invoke "arith_nan") (f32.const nan:canonical)) ;; FAIL
(assert_return (invoke "canon_nan") (f64.const nan:canonical))
(assert_return (invoke "canon_nan") (f64.const nan:arithmetic))
(assert_return (invoke "signalling_nan") (f32.const nan:arithmetic)) ;; FAIL
(assert_return (invoke "f32_bits") (f32.const -0x1.fffffep+127))
(assert_return (invoke "f32_bits") (f32.const 0x1.fffffep+127)) ;; FAIL
(assert_return (invoke "f32_bits") (f32.const nan:arithmetic)) ;; FAIL
(assert_return (invoke "ext" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "ext" (ref.extern 0)) (ref.extern 1)) ;; FAIL
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke "ext" (ref.extern 0)) (ref.null extern)) ;; FAIL
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "fref") (ref.null func)) ;; FAIL
(assert_return (invoke "two") (i32.const 1) (i64.const 2))
(assert_return (get "g") (i32.const 42))
(assert_return (get "g") (i32.const 43)) ;; FAIL
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero") ;; FAIL
(assert_trap (invoke "div" (i32.const 0)) "a different message")
(assert_trap (invoke "rec") "call stack exhausted") ;; FAIL
(assert_exhaustion (invoke "rec") "call stack exhausted")
(assert_exhaustion (invoke "div" (i32.const 0)) "call stack exhausted") ;; FAIL
(assert_trap (invoke "spin") "interrupted")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func)) "type mismatch") ;; FAIL
(assert_invalid (module binary "\00asm\01\00\00\00\01") "type mismatch") ;; FAIL
(assert_malformed (module binary "\00asm\01\00\00\00\01") "unexpected end")
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end") ;; FAIL
(assert_malformed (module quote "(func") "unexpected token") ;; SKIP
(assert_unlinkable (module (import "spectest" "unknown" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "unknown import") ;; FAIL
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
(assert_trap (module (func $t unreachable) (start $t)) "unreachable")
(assert_trap (module (func $t) (start $t)) "unreachable") ;; FAIL

(module $Other (func (export "f") (result i32) (i32.const 7)))
(register "other" $Other)
(module (import "other" "f" (func $f (result i32))) (func (export "g") (result i32) (call $f)))
(assert_return (invoke "g") (i32.const 7))
(assert_return (invoke $M "add" (i32.const 2) (i32.const 2)) (i32.const 4))
(assert_return (invoke $Other "f") (i32.const 7))

;; v128 results, lane by lane
(module $V
  (func (export "v") (result v128) (v128.const i32x4 1 2 3 4))
  (func (export "vf") (result v128) (v128.const f32x4 nan 1.0 nan:0x600000 2.0))
  (func (export "vid") (param v128) (result v128) (local.get 0)))
(assert_return (invoke "v") (v128.const i32x4 1 2 3 4))
(assert_return (invoke "v") (v128.const i32x4 1 2 3 5)) ;; FAIL
(assert_return (invoke "v") (v128.const i64x2 0x0000000200000001 0x0000000400000003))
(assert_return (invoke "v") (v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 4 0 0 0))
(assert_return (invoke "v") (v128.const i16x8 1 0 2 0 3 0 4 1)) ;; FAIL
(assert_return (invoke "vf") (v128.const f32x4 nan:canonical 1.0 nan:arithmetic 2.0))
(assert_return (invoke "vf") (v128.const f32x4 nan:canonical 1.0 nan:canonical 2.0)) ;; FAIL
(assert_return (invoke "vid" (v128.const f64x2 1.5 -0.0)) (v128.const f64x2 1.5 -0.0))
(assert_return (invoke "vid" (v128.const f64x2 1.5 -0.0)) (v128.const f64x2 1.5 0.0)) ;; FAIL

;; the spectest module
(module
  (import "spectest" "global_i32" (global $i32 i32))
  (import "spectest" "global_i64" (global $i64 i64))
  (import "spectest" "global_f32" (global $f32 f32))
  (import "spectest" "global_f64" (global $f64 f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "print_i32_f32" (func $print (param i32 f32)))
  (func (export "globals") (result i32 i64 f32 f64)
    (call $print (global.get $i32) (global.get $f32))
    (global.get $i32) (global.get $i64) (global.get $f32) (global.get $f64))
  (func (export "sizes") (result i32 i32) (table.size 0) (memory.size)))
(assert_return (invoke "globals") (i32.const 666) (i64.const 666) (f32.const 666.6) (f64.const 666.6))
(assert_return (invoke "sizes") (i32.const 10) (i32.const 1))
(assert_unlinkable (module (import "spectest" "memory" (memory 3))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "table" (table 21 funcref))) "incompatible import type")

;; a module that fails to instantiate fails itself and the commands that need it
(module (import "spectest" "nonexistent" (func)) (func (export "h") (result i32) (i32.const 1))) ;; FAIL
(assert_return (invoke "h") (i32.const 1)) ;; FAIL
(assert_return (invoke $Other "f") (i32.const 7))
