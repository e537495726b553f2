#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tripline_fuzz::targets::run("otlp_proto_metrics", data);
});
