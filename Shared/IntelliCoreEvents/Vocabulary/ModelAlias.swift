/// Names of deployment aliases the platform itself relies on.
public enum ModelAlias {
    /// The alias a request follows when it names neither a version nor an alias, and the one a
    /// passing validation gate moves.
    public static let champion = "champion"
}
