#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tripline_fuzz::targets::run("sigma_rule", data);
});
