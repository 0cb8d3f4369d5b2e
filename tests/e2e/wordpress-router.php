<?php
// Router of PHP's built-in server for the test WordPress site started by
// wordpress-site.mjs: what Debian's Apache configuration and WordPress's
// .htaccess do for a real site, for one private site.
//  - WORDPRESS_CONFIG names the site's /etc/wordpress/config-NAME.php
//    (Debian's wp-config.php reads it), so no Host-based file is shared.
//  - /wp-content/ is the site's private content directory (uploads,
//    plugins, the packaged themes through a link).
//  - Any other path that is not a file goes to index.php, as the rewrite
//    rules send it, so pretty permalinks and /wp-json/ work.

$_SERVER['WORDPRESS_CONFIG'] = getenv('KHABAR_WP_CONFIG');
$root = '/usr/share/wordpress';
$content = getenv('KHABAR_WP_CONTENT');
$path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (str_contains($path, '..')) {
    http_response_code(400);
    return true;
}

// Static files of the private content directory, with their type.
if (str_starts_with($path, '/wp-content/')) {
    $file = $content . substr($path, strlen('/wp-content'));
    if (is_file($file) && !str_ends_with($file, '.php')) {
        $types = [
            'css' => 'text/css', 'js' => 'text/javascript', 'json' => 'application/json',
            'png' => 'image/png', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg',
            'gif' => 'image/gif', 'webp' => 'image/webp', 'svg' => 'image/svg+xml',
            'woff2' => 'font/woff2', 'woff' => 'font/woff', 'txt' => 'text/plain',
        ];
        $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
        header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
        header('Content-Length: ' . filesize($file));
        readfile($file);
        return true;
    }
}

$file = $root . $path;
if (is_dir($file)) {
    $file = rtrim($file, '/') . '/index.php';
}
if (is_file($file) && !str_ends_with($file, '.php')) {
    return false; // the built-in server sends WordPress's own static files
}
if (!is_file($file)) {
    $file = $root . '/index.php';
}
// WordPress reads the script's name to know which screen it is on.
$_SERVER['SCRIPT_FILENAME'] = $file;
$_SERVER['SCRIPT_NAME'] = substr($file, strlen($root));
$_SERVER['PHP_SELF'] = $_SERVER['SCRIPT_NAME'];
chdir(dirname($file));
require $file;
