//! Per-class finding counts: [`ClassCount`] and the collection [`ClassCounts`].
//!
//! Owns the shape every core uses to say "how many findings of which class": the classifier
//! produces `ClassCounts<classify::Class>`, policy facts read `&[ClassCount<&str>]`, evidence
//! copies them. Generic over the class name type so this leaf depends on no core. It does not
//! find anything (see [`crate::classify`]) nor judge counts (see [`crate::policy`]).

/// How many findings of one data class. `C` is the class: `classify::Class` on the classifier
/// side, `&str` in policy facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClassCount<C> {
    /// The data class.
    pub class: C,
    /// Number of findings (saturating).
    pub count: u32,
}

impl<C> ClassCount<C> {
    /// `count` findings of `class`.
    pub fn new(class: C, count: u32) -> Self {
        Self { class, count }
    }
}

impl<C> From<(C, u32)> for ClassCount<C> {
    fn from((class, count): (C, u32)) -> Self {
        Self { class, count }
    }
}

/// Counts per class, at most one entry per class name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCounts<C> {
    items: Vec<ClassCount<C>>,
}

impl<C> Default for ClassCounts<C> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<C: AsRef<str>> ClassCounts<C> {
    /// No counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `n` findings of `class` (merged with an existing entry of the same name).
    pub fn add(&mut self, class: C, n: u32) {
        match self
            .items
            .iter_mut()
            .find(|e| e.class.as_ref() == class.as_ref())
        {
            Some(e) => e.count = e.count.saturating_add(n),
            None => self.items.push(ClassCount::new(class, n)),
        }
    }

    /// Findings of the class named `class` (0 when absent).
    pub fn get(&self, class: &str) -> u32 {
        self.items
            .iter()
            .find(|e| e.class.as_ref() == class)
            .map_or(0, |e| e.count)
    }

    /// Sort the entries by class name.
    pub fn sort_by_name(&mut self) {
        self.items
            .sort_by(|a, b| a.class.as_ref().cmp(b.class.as_ref()));
    }

    /// The same counts keyed by class name, borrowed (the form [`crate::policy::Facts`] takes).
    pub fn names(&self) -> Vec<ClassCount<&str>> {
        self.items
            .iter()
            .map(|e| ClassCount::new(e.class.as_ref(), e.count))
            .collect()
    }
}

impl<C> ClassCounts<C> {
    /// The entries, in insertion order (or by name after [`sort_by_name`](Self::sort_by_name)).
    pub fn iter(&self) -> std::slice::Iter<'_, ClassCount<C>> {
        self.items.iter()
    }

    /// The entries as a slice.
    pub fn as_slice(&self) -> &[ClassCount<C>] {
        &self.items
    }

    /// Number of distinct classes.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// No class counted.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<C> IntoIterator for ClassCounts<C> {
    type Item = ClassCount<C>;
    type IntoIter = std::vec::IntoIter<ClassCount<C>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, C> IntoIterator for &'a ClassCounts<C> {
    type Item = &'a ClassCount<C>;
    type IntoIter = std::slice::Iter<'a, ClassCount<C>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<C: AsRef<str>> FromIterator<(C, u32)> for ClassCounts<C> {
    fn from_iter<I: IntoIterator<Item = (C, u32)>>(iter: I) -> Self {
        let mut out = Self::new();
        for (c, n) in iter {
            out.add(c, n);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{ClassCount, ClassCounts};

    #[test]
    fn add_merges_by_name_and_sorts() {
        let mut c: ClassCounts<&str> = ClassCounts::new();
        c.add("pii.phone", 1);
        c.add("pii.email", 2);
        c.add("pii.phone", u32::MAX);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("pii.phone"), u32::MAX);
        assert_eq!(c.get("secret.jwt"), 0);
        c.sort_by_name();
        assert_eq!(
            c.names(),
            vec![
                ClassCount::new("pii.email", 2),
                ClassCount::new("pii.phone", u32::MAX)
            ]
        );
    }
}
