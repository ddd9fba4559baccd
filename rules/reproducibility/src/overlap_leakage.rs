use nblint_engine::{declare_rule, Checker, Rule};

use crate::flow::{self, Kind};

declare_rule! {
    /// ## What it does
    /// Reports rows shared between training and test data:
    ///
    /// - oversampling before the split: `SMOTE`, `ADASYN`, `RandomOverSampler` and the other
    ///   `imblearn` over-samplers' `fit_resample`, `sklearn.utils.resample(..., replace=True)`,
    ///   or concatenating data with itself (`pd.concat([df, df])`), on data that is split into
    ///   train and test afterwards;
    /// - a model fit on the whole data after it was split, then evaluated on the test part;
    /// - a test part sampled from the same data as a sampled training part
    ///   (`train = df.sample(frac=0.8)`, `test = df.sample(frac=0.2)`).
    ///
    /// ## Why is this bad?
    /// A row the model trained on, or a copy of it, is in the test data: the model is scored
    /// on what it memorized, and the score says little about new data.
    ///
    /// ## Example
    /// ```python
    /// from imblearn.over_sampling import SMOTE
    /// from sklearn.model_selection import train_test_split
    /// X_res, y_res = SMOTE(random_state=0).fit_resample(X, y)
    /// X_train, X_test, y_train, y_test = train_test_split(X_res, y_res, random_state=0)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from imblearn.over_sampling import SMOTE
    /// from sklearn.model_selection import train_test_split
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    /// X_train, y_train = SMOTE(random_state=0).fit_resample(X_train, y_train)
    /// ```
    pub struct OverlapLeakage {
        code: "NB706",
        name: "overlap-leakage",
        family: "reproducibility",
        severity: Warning,
        default: true,
        fix: Never,
    }
}

impl Rule for OverlapLeakage {
    fn check_notebook(&self, checker: &Checker<'_>) {
        flow::report(
            checker,
            &Self::META,
            Kind::Overlap,
            "split first, then oversample or augment the training part only; evaluate only models fit on the training part",
        );
    }
}
