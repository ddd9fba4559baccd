use nblint_engine::{declare_rule, Checker, Rule};

use crate::flow::{self, Kind};

declare_rule! {
    /// ## What it does
    /// Reports preprocessing that learns from data which is split into train and test
    /// afterwards, so test information reaches training:
    ///
    /// - scalers, imputers, encoders, vectorizers (`CountVectorizer`, `TfidfVectorizer`,
    ///   Keras' `Tokenizer.fit_on_texts`), decompositions (`PCA`, `TruncatedSVD`) and feature
    ///   selection (`SelectKBest`, `RFE`) fit on the whole data;
    /// - statistics of the whole data used to fill or scale it: `df.fillna(df.mean())`,
    ///   `df["a"].fillna(np.median(df["a"]))`, `(x - x.mean()) / x.std()`,
    ///   `preprocessing.scale(X)`;
    /// - a transformer fit on the whole data after the split and applied to its parts.
    ///
    /// Splits are `train_test_split`, a splitter's `split` (`KFold`, `StratifiedKFold`, ...),
    /// cross-validation (`cross_val_score`, `cross_validate`, `GridSearchCV(...).fit`) and
    /// splits by hand into names that say train and test (`train = df[:800]`,
    /// `test = df.drop(train.index)`). The data is followed through assignments and cells,
    /// in the order a restart-and-run-all runs them: `X = df.drop(columns="y")`,
    /// `X_s = scaler.fit_transform(X)`, `train_test_split(X_s, y)`. Stateless transforms
    /// (`np.log`, `pd.get_dummies`, dropping columns) carry no information and are fine, and
    /// so is centering alone (`x - x.mean()`). Label encoders (`LabelEncoder`,
    /// `LabelBinarizer`) only learn the set of classes and are not reported.
    ///
    /// ## Why is this bad?
    /// The model is scored on test data whose mean, vocabulary or principal components it
    /// already learned from: the score is better than what new data will give. This is the
    /// most common leakage in published notebooks.
    ///
    /// ## Example
    /// ```python
    /// from sklearn.model_selection import train_test_split
    /// from sklearn.preprocessing import StandardScaler
    /// X_scaled = StandardScaler().fit_transform(X)
    /// X_train, X_test, y_train, y_test = train_test_split(X_scaled, y, random_state=0)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from sklearn.model_selection import train_test_split
    /// from sklearn.preprocessing import StandardScaler
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    /// scaler = StandardScaler().fit(X_train)
    /// X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    /// ```
    ///
    /// With cross-validation, put the preprocessing in a `Pipeline`, which fits it on each
    /// training fold only.
    pub struct PreprocessingLeakage {
        code: "NB705",
        name: "preprocessing-leakage",
        family: "reproducibility",
        severity: Warning,
        default: true,
        fix: Never,
    }
}

impl Rule for PreprocessingLeakage {
    fn check_notebook(&self, checker: &Checker<'_>) {
        flow::report(
            checker,
            &Self::META,
            Kind::Preprocessing,
            "split first and fit on the training part (or use a `Pipeline` with cross-validation)",
        );
    }
}
