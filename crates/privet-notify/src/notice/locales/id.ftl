### Pemberitahuan keamanan Privet: bahasa Indonesia (sapaan „Anda“). ID pesan dan variabel sama dengan en.ftl.

## Format

language-name = Bahasa Indonesia
date = { $day } { $month ->
        [1] Januari
        [2] Februari
        [3] Maret
        [4] April
        [5] Mei
        [6] Juni
        [7] Juli
        [8] Agustus
        [9] September
        [10] Oktober
        [11] November
       *[12] Desember
    } { $year }
list-separator = {", "}

## Subjek

subject-person-processor = Pemberitahuan keamanan: sebagian data Anda diakses tanpa izin di { $processor }
subject-person-own = Pemberitahuan keamanan: sebagian data Anda di { $controller } diakses tanpa izin
subject-org-processor = Pemberitahuan keamanan: data sejumlah anggota { $organisation } diakses tanpa izin di { $processor }
subject-org-own = Pemberitahuan keamanan: data sejumlah anggota { $organisation } diakses tanpa izin
subject-public-processor = Pemberitahuan keamanan: data sejumlah pengguna { $controller } diakses tanpa izin di { $processor }
subject-public-own = Pemberitahuan keamanan: data sejumlah pengguna { $controller } diakses tanpa izin

## Salam

greeting-named = Halo { $name },
greeting = Halo,

## Apa yang terjadi

heading-what-happened = Apa yang terjadi
happened-person-processor = Pada { $aware }, { $processor }, penyedia layanan yang kami gunakan untuk analitik produk, memberi tahu kami bahwa seorang penyerang telah mendapatkan akses ke sistemnya dan mengekspor sekumpulan data. Kumpulan data tersebut berisi sebagian data tentang Anda yang diproses oleh { $processor } atas nama kami.
happened-person-own = Pada { $aware }, kami mengetahui bahwa seorang penyerang telah mendapatkan akses ke sistem kami dan menyalin sekumpulan data yang berisi sebagian data tentang Anda.
happened-org-processor = Pada { $aware }, { $processor }, penyedia layanan yang kami gunakan untuk analitik produk, memberi tahu kami bahwa seorang penyerang telah mendapatkan akses ke sistemnya dan mengekspor sekumpulan data. Kumpulan data tersebut berisi data tentang { $members } anggota { $organisation } yang diproses oleh { $processor } atas nama kami.
happened-org-own = Pada { $aware }, kami mengetahui bahwa seorang penyerang telah mendapatkan akses ke sistem kami dan menyalin sekumpulan data. Kumpulan data tersebut berisi data tentang { $members } anggota { $organisation }.
happened-public-processor = Pada { $aware }, { $processor }, penyedia layanan yang kami gunakan untuk analitik produk, memberi tahu kami bahwa seorang penyerang telah mendapatkan akses ke sistemnya dan mengekspor sekumpulan data. Kumpulan data tersebut berisi data tentang { $people } orang pengguna { $controller } yang diproses oleh { $processor } atas nama kami.
happened-public-own = Pada { $aware }, kami mengetahui bahwa seorang penyerang telah mendapatkan akses ke sistem kami dan menyalin sekumpulan data. Kumpulan data tersebut berisi data tentang { $people } orang pengguna { $controller }.
happened-occurred = Akses tanpa izin tersebut terjadi pada { $occurred }.
org-why = Anda menerima ringkasan ini karena Anda adalah administrator { $organisation } di { $controller }.
public-why = Kami menerbitkan pemberitahuan ini karena kami tidak dapat menghubungi secara langsung semua orang yang terdampak. Jika Anda pernah menggunakan { $controller }, mohon baca pemberitahuan ini.

## Apa yang terdampak dan apa yang tidak

heading-exposed-person = Data Anda yang terdampak
heading-exposed-org = Data yang terdampak
heading-exposed-public = Data yang terdampak
exposed-intro-person = Kumpulan data yang bocor berisi:
exposed-intro-org = Untuk anggota tersebut, kumpulan data yang bocor berisi:
exposed-intro-public = Jika Anda memiliki akun di { $controller }, kumpulan data yang bocor mungkin berisi data berikut tentang Anda:
sensitive-exposed-person = Sebagian data ini bersifat sensitif. Mohon lakukan langkah-langkah pertama di bawah ini hari ini juga.
sensitive-exposed-org = Sebagian data ini bersifat sensitif. Mohon mulai langkah-langkah pertama di bawah ini hari ini juga.
heading-not-exposed = Yang tidak terdampak
not-exposed-intro = Kumpulan data yang bocor tidak berisi:

cat-email = Alamat email Anda
cat-name = Nama Anda
cat-phone = Nomor telepon Anda
cat-user-id = ID pengguna internal Anda (nomor referensi di sistem kami)
cat-org-id = ID internal organisasi Anda
cat-org-name = Nama organisasi Anda
cat-location = Perkiraan lokasi Anda ({ $parts })
cat-ip = Alamat IP Anda
cat-os = Sistem operasi Anda
cat-browser = Browser Anda
cat-os-browser = Sistem operasi dan browser Anda
cat-device = Jenis perangkat Anda (misalnya ponsel atau komputer)
cat-referrer = Situs web yang mengarahkan Anda kepada kami
cat-locale = Pengaturan bahasa Anda
cat-password = Kata sandi Anda
cat-api-key = Kunci API Anda
cat-payment = Data pembayaran Anda
cat-conversation = Percakapan dan isi obrolan Anda

cat-members-email = Alamat email
cat-members-name = Nama
cat-members-phone = Nomor telepon
cat-members-user-id = ID pengguna internal
cat-members-org-id = ID internal organisasi Anda
cat-members-org-name = Nama organisasi Anda
cat-members-location = Perkiraan lokasi ({ $parts })
cat-members-ip = Alamat IP
cat-members-os = Sistem operasi
cat-members-browser = Browser
cat-members-os-browser = Sistem operasi dan browser
cat-members-device = Jenis perangkat
cat-members-referrer = Situs web yang mengarahkan anggota kepada kami
cat-members-locale = Pengaturan bahasa
cat-members-password = Kata sandi
cat-members-api-key = Kunci API
cat-members-payment = Data pembayaran
cat-members-conversation = Percakapan dan isi obrolan

loc-city = kota
loc-region = wilayah
loc-country = negara

## Apa artinya

heading-consequences = Apa artinya bagi Anda
heading-consequences-org = Apa artinya bagi tim Anda
consequences-person-targeted = Pihak yang memegang data ini dapat menggunakannya untuk mengirimi Anda pesan phishing: email, SMS, atau panggilan telepon yang mengaku berasal dari { $controller }, dari layanan lain yang Anda gunakan, atau dari rekan kerja. Karena mereka mungkin mengetahui informasi seperti nama, kota, dan organisasi Anda, pesan tersebut bisa tampak meyakinkan. Biasanya pesan itu berusaha membuat Anda masuk (login) di halaman palsu, memberikan kata sandi atau kode, atau melakukan pembayaran.
consequences-person-general = Data ini saja tidak banyak berguna bagi penyerang. Namun, penipu sering memanfaatkan berita kebocoran data untuk mengirim pesan phishing yang menyebut kejadian itu, jadi berhati-hatilah terhadap pesan tak terduga tentang insiden ini.
consequences-org-targeted = Anggota { $organisation } mungkin menerima pesan phishing yang mengaku berasal dari { $controller }, dari layanan lain, atau dari rekan satu tim. Karena pengirimnya mungkin mengetahui nama, kota, dan nama organisasi { $organisation }, pesan tersebut bisa tampak meyakinkan. Biasanya pesan itu berusaha membuat penerima masuk (login) di halaman palsu, memberikan kata sandi atau kode, atau melakukan pembayaran.
consequences-org-general = Data ini saja tidak banyak berguna bagi penyerang. Namun, penipu sering memanfaatkan berita kebocoran data untuk mengirim pesan phishing yang menyebut kejadian itu, jadi tim Anda perlu berhati-hati terhadap pesan tak terduga tentang insiden ini.
consequences-public-targeted = Jika Anda memiliki akun, Anda mungkin menerima pesan phishing: email, SMS, atau panggilan telepon yang mengaku berasal dari { $controller }, dari layanan lain yang Anda gunakan, atau dari rekan kerja. Karena pengirimnya mungkin mengetahui informasi seperti nama, kota, dan organisasi Anda, pesan tersebut bisa tampak meyakinkan. Biasanya pesan itu berusaha membuat Anda masuk (login) di halaman palsu, memberikan kata sandi atau kode, atau melakukan pembayaran.
consequences-public-general = Data ini saja tidak banyak berguna bagi penyerang. Namun, penipu sering memanfaatkan berita kebocoran data untuk mengirim pesan phishing yang menyebut kejadian itu, jadi berhati-hatilah terhadap pesan tak terduga tentang insiden ini.

## Apa yang telah kami lakukan

heading-measures = Apa yang telah kami lakukan
measures-empty = Kami masih menyelidiki insiden ini. Jika kami mengetahui hal yang mengubah isi pemberitahuan ini, kami akan memberi tahu Anda.

## Apa yang perlu dilakukan

heading-advice-person = Apa yang perlu Anda lakukan
heading-advice-org = Apa yang perlu Anda sampaikan kepada tim
advice-password = Segera ganti kata sandi Anda untuk { $controller }. Jika Anda menggunakan kata sandi yang sama di tempat lain, ganti juga di sana.
advice-api-key = Cabut kunci API Anda untuk { $controller } dan buat kunci baru. Setelah itu, perbarui kunci tersebut di semua tempat yang menggunakannya.
advice-payment = Periksa mutasi rekening bank dan tagihan kartu Anda, dan segera laporkan kepada bank setiap pembayaran yang tidak Anda kenali.
advice-conversation = Percakapan Anda dengan kami ikut bocor. Ingat kembali apa yang Anda bagikan di dalamnya; jika ada kata sandi, kunci, atau rahasia lain, segera ganti.
advice-check-sender = Periksa pengirim setiap pesan tentang insiden ini. Kami hanya mengirim pesan dari { $sender }, dan alamat pengirim harus berakhiran salah satu domain resmi kami yang tercantum di bawah. Waspadai domain tiruan yang hurufnya ditambah atau ditukar.
advice-no-secrets = Kami tidak akan pernah meminta kata sandi, kunci API, atau kode sekali pakai Anda, baik melalui email, telepon, maupun obrolan. Siapa pun yang memintanya bukan kami.
advice-mfa = Aktifkan autentikasi multifaktor (misalnya dengan aplikasi autentikator) untuk akun { $controller } dan akun email Anda.
advice-urgency = Curigai pesan yang mendesak Anda untuk segera bertindak, mengancam akan menutup akun Anda, atau meminta pembayaran. Jangan terburu-buru; periksa terlebih dahulu.
advice-no-links = Pesan ini tidak berisi tautan atau lampiran apa pun. Jika ada pesan tentang insiden ini yang meminta Anda masuk melalui tautan, jangan gunakan tautan itu: ketik sendiri alamat kami di browser.
advice-no-links-public = Pesan kami tentang insiden ini tidak berisi tautan atau lampiran apa pun. Jika ada pesan tentang insiden ini yang meminta Anda masuk melalui tautan, jangan gunakan tautan itu: ketik sendiri alamat kami di browser.
advice-members-password = Minta semua anggota mengganti kata sandi mereka untuk { $controller }, juga di tempat lain yang memakai kata sandi yang sama.
advice-members-api-key = Cabut semua kunci API milik { $organisation } untuk { $controller }, buat kunci baru, dan perbarui kunci tersebut di semua sistem yang menggunakannya.
advice-members-payment = Periksa catatan pembayaran { $organisation } dan laporkan kepada bank setiap pembayaran yang tidak Anda kenali.
advice-members-conversation = Percakapan anggota Anda ikut bocor. Tanyakan apakah mereka membagikan kata sandi, kunci, atau rahasia lain di dalamnya, lalu pastikan semuanya diganti.
advice-members-phishing = Peringatkan tim Anda bahwa mereka mungkin menerima pesan phishing meyakinkan yang menyebut nama, kota, atau nama organisasi { $organisation }.
advice-members-no-secrets = Ingatkan mereka bahwa kami tidak akan pernah meminta kata sandi, kunci API, atau kode sekali pakai melalui email, telepon, atau obrolan.
advice-members-mfa = Wajibkan autentikasi multifaktor bagi semua anggota { $organisation } di { $controller }, dan anjurkan juga untuk akun email mereka.
advice-members-report = Minta mereka melaporkan pesan mencurigakan kepada Anda atau tim keamanan Anda, alih-alih membalas atau mengeklik isinya.

## Cara mengenali kami dan siapa yang dapat dihubungi

heading-official-domains = Domain resmi kami
official-domains-intro = Pesan dan situs web asli dari { $controller } hanya menggunakan domain berikut. Domain yang sekadar mirip bukan milik kami:
heading-contact = Pertanyaan dan kontak
sender-statement = Pesan ini hanya dikirim dari { $sender }. Kami tidak akan menghubungi Anda tentang insiden ini dari alamat lain.
sender-statement-public = Pesan kami tentang insiden ini hanya dikirim dari { $sender }.
dpo-contact = Jika ada pertanyaan, hubungi pejabat pelindungan data pribadi kami: { $dpo }
complaint = Anda juga berhak mengajukan pengaduan kepada otoritas pengawas pelindungan data pribadi, terutama di negara tempat Anda tinggal atau bekerja.
signoff =
    Hormat kami,
    { $controller }
