//! Japanese addresses: `〒100-0001` (the mark is in the span), a prefecture (`東京都`, `北海道`,
//! `大阪府`, `神奈川県`), one to three municipal units ending in 市/区/町/村/郡, a district name,
//! the block numbers (`1-1`, `1-2-3`, `2丁目8番1号`, `一丁目1番地`) and an optional building
//! with floor or room (`森ビル 3F`, `101号室`); a postcode-led address may omit the prefecture.
//! Romanised: `1-1 Chiyoda, Chiyoda-ku, Tokyo 100-0001`.

use super::shape::{cap, LO, UP};

/// Han and katakana letters that make up place names (no hiragana: it starts the prose after).
const JW: &str = "\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}々〆ヶケァ-ヺー";

pub(super) fn pattern() -> String {
    let pref = format!("(?:東京都|北海道|京都府|大阪府|[{JW}]{{2,3}}県)");
    let muni = format!("(?:[{JW}]{{1,6}}?(?:市|区|町|村|郡))");
    let n = "(?:[0-9]{1,4}|[一二三四五六七八九十]{1,3})";
    let dash = "[-ーの]";
    let block = format!(
        "{n}(?:丁目(?:[ ]?[0-9]{{1,4}}(?:番地?|{dash})(?:[0-9]{{1,4}}号?)?)?|番地?(?:[0-9]{{1,4}}号?)?|{dash}[0-9]{{1,4}}(?:{dash}[0-9]{{1,4}})?(?:号)?)"
    );
    let room = "[0-9]{1,4}(?:号室|F|階)";
    // A building on the same line or the next: a name with a building word (`森ビル`,
    // `グリーンハイツ`) and an optional room, or any name of Han and katakana followed by the
    // room or floor (`サンライズ桜ケ丘 607号室`, `コーポ旭 10F`).
    let name = format!("[{JW}A-Za-z]{{1,16}}?");
    let building = format!(
        "(?:[ \n]?{name}(?:ビル|タワー|マンション|ハイツ|コーポ|ハウス|レジデンス|ヒルズ|館|棟|荘)(?:[ ]?{room})?|[ \n]?(?:{name}[ ]?)?{room})"
    );
    let body = format!("{muni}{{1,3}}(?:[{JW}]{{1,8}}?)?{block}{building}?");
    let zip = "〒[ ]?[0-9]{3}-?[0-9]{4}";
    let roman_unit = format!("[{UP}][{LO}]+-(?:ku|shi|cho|machi|gun|mura)");
    let roman = format!(
        "[0-9]{{1,4}}(?:-[0-9]{{1,4}}){{1,2}},?[ ]+(?:{c},?[ ]+){{0,2}}{roman_unit},[ ]*{c}(?:-(?:to|fu|ken))?(?:,?[ ]+[0-9]{{3}}-[0-9]{{4}})?",
        c = cap()
    );
    format!("{zip}[ \\n]*(?:{pref}{body}|{body})|{pref}{body}|{roman}")
}

#[cfg(test)]
mod tests {
    use super::super::{check, check_none};

    #[test]
    fn native() {
        for (t, want) in [
            (
                "〒100-0001 東京都千代田区千代田1-1",
                "〒100-0001 東京都千代田区千代田1-1",
            ),
            (
                "住所は東京都新宿区西新宿2丁目8番1号です。",
                "東京都新宿区西新宿2丁目8番1号",
            ),
            (
                "〒530-0001 大阪府大阪市北区梅田1-2-3 梅田ビル 5F",
                "〒530-0001 大阪府大阪市北区梅田1-2-3 梅田ビル 5F",
            ),
            (
                "神奈川県横浜市中区山下町1-2-3 101号室にお届け",
                "神奈川県横浜市中区山下町1-2-3 101号室",
            ),
            (
                "北海道札幌市中央区北一条西2丁目1番地",
                "北海道札幌市中央区北一条西2丁目1番地",
            ),
            (
                "〒１００－０００１　東京都千代田区千代田１－１",
                "〒１００－０００１　東京都千代田区千代田１－１",
            ),
            (
                "京都府京都市左京区一乗寺3丁目5番",
                "京都府京都市左京区一乗寺3丁目5番",
            ),
            ("〒150-0002 渋谷区渋谷2-21-1", "〒150-0002 渋谷区渋谷2-21-1"),
            (
                "送付先：〒231-0023 神奈川県横浜市中区山下町5-6 ベイサイド山下 1203号室までお願いします",
                "〒231-0023 神奈川県横浜市中区山下町5-6 ベイサイド山下 1203号室",
            ),
            (
                "〒460-0008\n愛知県名古屋市中区栄3-4-5\nメゾン栄 12F\n",
                "〒460-0008\n愛知県名古屋市中区栄3-4-5\nメゾン栄 12F",
            ),
        ] {
            check(t, want);
        }
    }

    #[test]
    fn romanised() {
        check(
            "Office: 1-1 Chiyoda, Chiyoda-ku, Tokyo 100-0001.",
            "1-1 Chiyoda, Chiyoda-ku, Tokyo 100-0001",
        );
        check(
            "2-8-1 Nishi-Shinjuku, Shinjuku-ku, Tokyo",
            "2-8-1 Nishi-Shinjuku, Shinjuku-ku, Tokyo",
        );
    }

    #[test]
    fn negatives() {
        for t in [
            "東京都の人口は1400万人です。",
            "大阪府は2025年に万博",
            "第3回会議",
        ] {
            check_none(t);
        }
    }
}
