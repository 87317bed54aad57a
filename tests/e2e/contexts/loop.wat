;; loop.wat: a module whose _start never returns (timeout e2e tests).
;; Rebuild loop.wasm with: wat2wasm loop.wat -o loop.wasm
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
