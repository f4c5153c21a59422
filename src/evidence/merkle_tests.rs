//! Merkle tests against the published RFC 6962 vectors (Certificate Transparency reference
//! tree of eight leaves), plus round trips over many ragged tree sizes.
use super::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn h(s: &str) -> Hash {
    unhex(s).try_into().unwrap()
}

const INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn leaves() -> Vec<Hash> {
    INPUTS.iter().map(|s| leaf_hash(&unhex(s))).collect()
}

#[test]
fn roots_match_rfc6962_vectors() {
    let l = leaves();
    let f = Frontier::default();
    let t = Tree::new(&f, &l);
    let mut cr = CompactRange::default();
    assert_eq!(cr.root(), h(ROOTS[0]));
    for n in 1..=8u64 {
        assert_eq!(t.root(n).unwrap(), h(ROOTS[n as usize]), "tree size {n}");
        cr.push(l[n as usize - 1]);
        assert_eq!(cr.root(), h(ROOTS[n as usize]), "compact range size {n}");
    }
}

#[test]
fn inclusion_proofs_match_rfc6962_vectors() {
    let vectors: [(u64, u64, &[&str]); 3] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
    ];
    let l = leaves();
    let f = Frontier::default();
    let t = Tree::new(&f, &l);
    for (idx, size, want) in vectors {
        let got = t.inclusion_proof(idx, size).unwrap();
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        assert_eq!(got, want, "proof for leaf {idx} in size {size}");
        let root = root_from_inclusion(idx, size, &l[idx as usize], &got).unwrap();
        assert_eq!(root, h(ROOTS[size as usize]));
        assert_ne!(
            root_from_inclusion(idx, size, &l[(idx as usize + 1) % 8], &got),
            Some(h(ROOTS[size as usize]))
        );
    }
}

#[test]
fn every_proof_verifies_in_ragged_trees_and_with_a_pruned_prefix() {
    let l: Vec<Hash> = (0..37u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let none = Frontier::default();
    for size in 1..=37u64 {
        let t = Tree::new(&none, &l);
        let root = t.root(size).unwrap();
        for i in 0..size {
            let p = t.inclusion_proof(i, size).unwrap();
            assert_eq!(root_from_inclusion(i, size, &l[i as usize], &p), Some(root));
            assert_ne!(
                root_from_inclusion(i, size, &l[(i as usize + 1) % 37], &p),
                Some(root)
            );
        }
        // Prune a prefix: keep the compact range of [0, cut) and the leaves after it.
        for cut in 0..size {
            let mut cr = CompactRange::default();
            l[..cut as usize].iter().for_each(|x| cr.push(*x));
            let restored = CompactRange::from_nodes(&cr.nodes()).unwrap();
            assert_eq!(restored.root(), cr.root());
            let fr = cr.frontier();
            let pt = Tree::new(&fr, &l[cut as usize..]);
            assert_eq!(pt.root(size), Some(root), "size {size} cut {cut}");
            for i in cut..size {
                assert_eq!(pt.inclusion_proof(i, size), t.inclusion_proof(i, size));
            }
        }
    }
}
