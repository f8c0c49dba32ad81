//! The typed syntax tree. Every node keeps the byte span of the source it came from, so each
//! diagnostic can point at the exact token a user wrote.

use std::fmt;

/// A half-open byte range `start..end` into the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A parsed source: the items in the order written.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// The items.
    pub items: Vec<Item>,
}

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The text of the name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// One definition, `/// docs` `pub name(inputs; params) = body;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// Doc lines without the leading `///` (one leading space removed, as rustdoc does).
    pub docs: Vec<String>,
    /// Whether the item was declared `pub`.
    pub public: bool,
    /// The snake_case name.
    pub name: Ident,
    /// The inputs, in order.
    pub inputs: Vec<Ident>,
    /// The parameters, in order.
    pub params: Vec<Param>,
    /// The defining expression.
    pub body: Expr,
    /// The whole item, docs included.
    pub span: Span,
}

/// A parameter and its default value.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// The default value as written (a constant expression); `None` is a checker error.
    pub default: Option<Expr>,
}

/// An expression node with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// The source it covers.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A numeric literal: its text and its `f64` value (possibly infinite; the checker rejects that).
    Number(String, f64),
    /// A name: an input, a parameter or a constant (`pi`, `e`).
    Name(String),
    /// A call of a built-in function, another item or a standard activation.
    Call {
        /// The function's name as written.
        func: Ident,
        /// The positional arguments.
        args: Vec<Expr>,
    },
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// A binary operator.
    Binary {
        /// The operator.
        op: BinOp,
        /// The operator token's own span (for messages about the operator).
        op_span: Span,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `if c1 { v1 } else if c2 { v2 } else { otherwise }`.
    If {
        /// The `(condition, value)` pairs, in order.
        branches: Vec<(Expr, Expr)>,
        /// The final `else` value.
        otherwise: Box<Expr>,
    },
    /// `( inner )`, kept so spans and pretty-printing follow the source.
    Paren(Box<Expr>),
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-`
    Neg,
    /// `!`
    Not,
}

/// Binary operators, loosest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }

    /// Binding strength: higher binds tighter. Unary operators sit at [`UNARY_PRECEDENCE`].
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
            BinOp::Pow => 7,
        }
    }

    /// Whether `a op b op c` groups as `a op (b op c)`.
    pub fn right_assoc(self) -> bool {
        self == BinOp::Pow
    }

    /// Comparisons produce a condition from two values.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }

    /// `&&` and `||` combine conditions.
    pub fn is_logical(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or)
    }
}

/// Precedence of prefix `-` and `!`: tighter than `*`, looser than `^`, so `-x^2` is `-(x^2)`.
pub const UNARY_PRECEDENCE: u8 = 6;

impl Expr {
    /// Strips any number of parentheses.
    pub fn unparen(&self) -> &Expr {
        let mut e = self;
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        e
    }

    /// The direct children, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Number(..) | ExprKind::Name(_) => vec![],
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::If {
                branches,
                otherwise,
            } => branches
                .iter()
                .flat_map(|(c, v)| [c, v])
                .chain(std::iter::once(&**otherwise))
                .collect(),
            ExprKind::Paren(inner) => vec![inner],
        }
    }

    /// Calls `f` on this node and every node below it, parents first, without recursion.
    pub fn walk<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            stack.extend(e.children().into_iter().rev());
        }
    }

    /// Depth of the tree (a single leaf has depth 1), computed without recursion.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            max = max.max(d);
            stack.extend(e.children().into_iter().map(|c| (c, d + 1)));
        }
        max
    }
}
