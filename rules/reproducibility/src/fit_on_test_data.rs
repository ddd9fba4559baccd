use nblint_engine::{declare_rule, Checker, Rule};

use crate::flow::{self, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `.fit`, `.fit_transform`, `.partial_fit`, `.fit_resample`, `fit_on_texts` and
    /// `adapt` calls that learn from test or validation data: data whose name says so
    /// (`X_test`, `test_df`, `df_val`, `xtest`; the words are configurable), or data that
    /// holds the test part of an earlier split, followed through assignments across cells.
    ///
    /// ## Why is this bad?
    /// A scaler, encoder or model fit on the test data has seen it: the test score no longer
    /// measures how the model does on data it has never seen. Fitting a transformer again on
    /// the test data also puts the two parts on different scales or encodings.
    ///
    /// ## Example
    /// ```python
    /// from sklearn.model_selection import train_test_split
    /// from sklearn.preprocessing import StandardScaler
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    /// scaler = StandardScaler()
    /// X_train = scaler.fit_transform(X_train)
    /// X_test = scaler.fit_transform(X_test)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from sklearn.model_selection import train_test_split
    /// from sklearn.preprocessing import StandardScaler
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    /// scaler = StandardScaler()
    /// X_train = scaler.fit_transform(X_train)
    /// X_test = scaler.transform(X_test)
    /// ```
    ///
    /// ## Configuration
    /// `[reproducibility] test-words` lists the words that mark a name as test or validation
    /// data. The names `val`, `dev` and `tst` alone do not count: they are common plain
    /// variables.
    pub struct FitOnTestData {
        code: "NB702",
        name: "fit-on-test-data",
        family: "reproducibility",
        severity: Warning,
        default: true,
        fix: Never,
    }
}

impl Rule for FitOnTestData {
    fn check_notebook(&self, checker: &Checker<'_>) {
        flow::report(
            checker,
            &Self::META,
            Kind::FitOnTest,
            "fit on the training data; use `transform`, `predict` or `score` on the test data",
        );
    }
}
