use nblint_engine::{declare_rule, Checker, Rule};

use crate::flow::{self, Kind};

declare_rule! {
    /// ## What it does
    /// Reports test data used to choose among models when the notebook has no validation
    /// data and no cross-validation: a loop that makes a new model (a new hyperparameter
    /// setting, or the next of a list of models) and evaluates each on the test data, or
    /// several models evaluated on the same test data (`.score`, `.predict`,
    /// `.predict_proba`, `.evaluate`).
    ///
    /// The test data is the test part of a split, followed through assignments and cells, or
    /// a name that says test (see NB702's `test-words`). A notebook that binds a validation
    /// name (`X_val`, `valid_df`) or cross-validates is not reported.
    ///
    /// ## Why is this bad?
    /// Picking the model or the setting that scores best on the test data fits the choice to
    /// that data: the winning score is optimistic, and nothing unseen is left to measure the
    /// chosen model on.
    ///
    /// ## Example
    /// ```python
    /// from sklearn.model_selection import train_test_split
    /// from sklearn.neighbors import KNeighborsClassifier
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    /// scores = []
    /// for k in range(1, 20):
    ///     knn = KNeighborsClassifier(n_neighbors=k)
    ///     knn.fit(X_train, y_train)
    ///     scores.append(knn.score(X_test, y_test))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from sklearn.model_selection import GridSearchCV, train_test_split
    /// from sklearn.neighbors import KNeighborsClassifier
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    /// search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": range(1, 20)})
    /// search.fit(X_train, y_train)
    /// final_score = search.score(X_test, y_test)
    /// ```
    pub struct MultiTestLeakage {
        code: "NB707",
        name: "multi-test-leakage",
        family: "reproducibility",
        severity: Warning,
        default: false,
        fix: Never,
    }
}

impl Rule for MultiTestLeakage {
    fn check_notebook(&self, checker: &Checker<'_>) {
        flow::report(
            checker,
            &Self::META,
            Kind::MultiTest,
            "choose on a validation split or with cross-validation, and evaluate only the chosen model on the test data",
        );
    }
}
