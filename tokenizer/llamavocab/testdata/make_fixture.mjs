// make_fixture.mjs: cut the committed regression fixture out of a full
// gen_llamacpp_diff.mjs output.
//
//   node make_fixture.mjs FULL.jsonl OUT.jsonl.gz [NSTRINGS=160] [MAXLEN=200] [NIDLISTS=60]
//
// Keeps the first 45 strings (the fixed edge cases) and then every string of
// at most MAXLEN UTF-16 units until NSTRINGS are kept. Models with decode
// results keep everything for those strings except the per-id pieces, and
// NIDLISTS id lists; parse_special results equal to the plain ones become
// null, and a model whose results all equal an earlier model's keeps only its
// ids and attributes and names that model in "sameAs". Pre-tokenizer
// variants ("enconly") keep only the strings whose ids differ from
// built:llama3-llama-bpe (the same vocabulary), listed in "idx". Output:
// gzip'd JSON lines in the same format.
import fs from "node:fs";
import zlib from "node:zlib";

const [inPath, outPath, nArg, lenArg, idArg] = process.argv.slice(2);
const NS = Number(nArg ?? 160), MAXLEN = Number(lenArg ?? 200), NID = Number(idArg ?? 60);
const sigs = new Map();
const lines = fs.readFileSync(inPath, "utf8").split("\n").filter((l) => l !== "");
const head = JSON.parse(lines[0]);
const keep = [];
for (let i = 0; i < head.strings.length && keep.length < NS; i++) {
    if (i < 45 || head.strings[i].length <= MAXLEN) keep.push(i);
}
const models = lines.slice(1).map((l) => JSON.parse(l));
const base = models.find((m) => m.name === "built:llama3-llama-bpe");
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const out = [JSON.stringify({...head, strings: keep.map((i) => head.strings[i]), n: keep.length,
    fixture: `make_fixture.mjs ${NS} ${MAXLEN} ${NID}`})];
for (const m of models) {
    if (m.error) { out.push(JSON.stringify(m)); continue; }
    const r = {...m};
    delete r.pieces; delete r.piecesSpecial;
    if (m.dec) {
        for (const k of ["enc", "encSpecial", "dec", "decSpecial"]) r[k] = keep.map((i) => m[k][i]);
        // parse_special results equal to the plain ones are stored as null
        r.enc.forEach((ids, j) => {
            if (same(ids, r.encSpecial[j])) { r.encSpecial[j] = null; r.decSpecial[j] = null; }
        });
        r.idLists = m.idLists.slice(0, NID); r.idDec = m.idDec.slice(0, NID);
        // a model whose results equal an earlier one's refers to it
        const sig = JSON.stringify([r.enc, r.encSpecial, r.dec, r.decSpecial, r.idLists, r.idDec]);
        if (sigs.has(sig)) {
            out.push(JSON.stringify({name: m.name, nVocab: m.nVocab, bos: m.bos, eos: m.eos, eot: m.eot, sep: m.sep,
                addBos: m.addBos, addEos: m.addEos, attrs: m.attrs, eog: m.eog, sameAs: sigs.get(sig)}));
            continue;
        }
        sigs.set(sig, m.name);
    } else {
        const idx = [];
        keep.forEach((i, j) => {
            if (!base || !same(m.enc[i], base.enc[i]) || !same(m.encSpecial[i], base.encSpecial[i])) idx.push(j);
        });
        r.idx = idx;
        r.enc = idx.map((j) => m.enc[keep[j]]);
        r.encSpecial = idx.map((j) => m.encSpecial[keep[j]]);
    }
    out.push(JSON.stringify(r));
}
fs.writeFileSync(outPath, zlib.gzipSync(out.join("\n") + "\n", {level: 9}));
console.error(`${keep.length} strings, ${models.length} models, ${fs.statSync(outPath).size} bytes`);
