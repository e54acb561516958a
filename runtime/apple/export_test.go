package apple

// ParseList is parseList, for the parser's tests and its fuzz target.
var ParseList = parseList
