#!/usr/bin/env bash
# Hostile inputs against `sailmerge plan`: time and peak memory of exports
# with 10^5 and 10^6 columns, and of two workbook bombs (a sheet of one row
# repeated as inline strings, ~200 KB packed; a 1.6 KB sheet with one cell
# at XFD1048576). Prints one line per input: seconds, peak RSS, exit code
# and the first line of stderr.
#
#   scripts/bench_inputs.sh [SAILMERGE_BINARY] [WORK_DIR]
#
# BENCH_INPUTS picks some of the inputs (default all four). Needs python3
# (standard library only) and GNU time. Each run is limited to
# BENCH_TIMEOUT seconds (default 600) and BENCH_MEMORY_KB of address space
# (default 8 GiB), so that a binary without the caps fails on the bombs
# instead of taking the machine's memory.
set -euo pipefail

binary=${1:-target/release/sailmerge}
work=${2:-$(mktemp -d)}
timeout_seconds=${BENCH_TIMEOUT:-600}
memory_kb=${BENCH_MEMORY_KB:-8388608}
mkdir -p "$work"

python3 - "$work" <<'EOF'
import sys, zipfile
work = sys.argv[1]

def wide(columns, path):
    with open(path, "w") as f:
        f.write(",".join(["user_id", "phone"] + [f"c{i}" for i in range(columns - 2)]) + "\n")
        for row in (1, 2):
            f.write(f"{row},7916123456{row}" + "," * (columns - 2) + "\n")

wide(100_000, f"{work}/wide_100k.csv")
wide(1_000_000, f"{work}/wide_1m.csv")

PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}

def cell(value, ref=""):
    ref = f' r="{ref}"' if ref else ""
    return f'<c{ref} t="inlineStr"><is><t>{value}</t></is></c>'

def workbook(path, chunks):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for chunk in chunks:
                sheet.write(chunk.encode())
            sheet.write(b"</sheetData></worksheet>")

def repeated_rows():
    yield "<row>" + cell("user_id") + cell("phone") + "</row>"
    row = "<row>" + cell("1") + cell("79161234567") + "</row>"
    for _ in range(640):
        yield row * 1000

workbook(f"{work}/bomb_repeated.xlsx", repeated_rows())
workbook(f"{work}/bomb_far_cell.xlsx", iter([
    '<row r="1">' + cell("user_id", "A1") + cell("phone", "B1") + "</row>",
    '<row r="1048576">' + cell("x", "XFD1048576") + "</row>",
]))
EOF

printf '%-20s %9s %8s %8s %9s %5s  %s\n' input bytes wall_s cpu_s peak_MiB exit stderr
for input in ${BENCH_INPUTS:-wide_100k.csv wide_1m.csv bomb_repeated.xlsx bomb_far_cell.xlsx}; do
    path="$work/$input"
    out="$work/out-${input%.*}"
    status=0
    (ulimit -v "$memory_kb"
     exec /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" timeout "$timeout_seconds" \
        "$binary" plan "$path" --out "$out" --no-progress 2> "$work/stderr.txt" > /dev/null) || status=$?
    read -r wall user system kilobytes < <(tail -1 "$work/time.txt")
    first=$(head -1 "$work/stderr.txt" | cut -c1-100)
    printf '%-20s %9s %8s %8s %9s %5s  %s\n' "$input" "$(stat -c %s "$path")" "$wall" \
        "$(awk "BEGIN { print $user + $system }")" "$(( kilobytes / 1024 ))" "$status" "$first"
done
