### Avisos de seguridad de Privet: español (trato de usted). Los identificadores y variables son los de en.ftl.

## Formato

language-name = Español
date = { $day } de { $month ->
        [1] enero
        [2] febrero
        [3] marzo
        [4] abril
        [5] mayo
        [6] junio
        [7] julio
        [8] agosto
        [9] septiembre
        [10] octubre
        [11] noviembre
       *[12] diciembre
    } de { $year }
list-separator = {", "}

## Asuntos

subject-person-processor = Aviso de seguridad: algunos de sus datos quedaron expuestos en { $processor }
subject-person-own = Aviso de seguridad: algunos de sus datos en { $controller } quedaron expuestos
subject-org-processor = Aviso de seguridad: datos de miembros de { $organisation } quedaron expuestos en { $processor }
subject-org-own = Aviso de seguridad: datos de miembros de { $organisation } quedaron expuestos
subject-public-processor = Aviso de seguridad: datos de usuarios de { $controller } quedaron expuestos en { $processor }
subject-public-own = Aviso de seguridad: datos de usuarios de { $controller } quedaron expuestos

## Saludo

greeting-named = Hola, { $name }:
greeting = Hola:

## Qué ha pasado

heading-what-happened = Qué ha pasado
happened-person-processor = El { $aware }, { $processor }, un proveedor de servicios que utilizábamos para análisis de producto, nos informó de que un atacante había accedido a sus sistemas y exportado un conjunto de datos. Ese conjunto incluía algunos datos sobre usted que { $processor } trataba por cuenta nuestra.
happened-person-own = El { $aware } descubrimos que un atacante había accedido a nuestros sistemas y copiado un conjunto de datos que incluía algunos datos sobre usted.
happened-org-processor = El { $aware }, { $processor }, un proveedor de servicios que utilizábamos para análisis de producto, nos informó de que un atacante había accedido a sus sistemas y exportado un conjunto de datos. Ese conjunto incluía datos de { $members ->
        [one] un miembro
       *[other] { $members } miembros
    } de { $organisation } que { $processor } trataba por cuenta nuestra.
happened-org-own = El { $aware } descubrimos que un atacante había accedido a nuestros sistemas y copiado un conjunto de datos. Ese conjunto incluía datos de { $members ->
        [one] un miembro
       *[other] { $members } miembros
    } de { $organisation }.
happened-public-processor = El { $aware }, { $processor }, un proveedor de servicios que utilizábamos para análisis de producto, nos informó de que un atacante había accedido a sus sistemas y exportado un conjunto de datos. Ese conjunto incluía datos de { $people ->
        [one] una persona que usa
       *[other] { $people } personas que usan
    } { $controller }.
happened-public-own = El { $aware } descubrimos que un atacante había accedido a nuestros sistemas y copiado un conjunto de datos. Ese conjunto incluía datos de { $people ->
        [one] una persona que usa
       *[other] { $people } personas que usan
    } { $controller }.
happened-occurred = El acceso no autorizado se produjo el { $occurred }.
org-why = Recibe este resumen porque administra { $organisation } en { $controller }.
public-why = Publicamos este aviso porque no podemos contactar personalmente con todas las personas afectadas. Si ha utilizado { $controller }, le rogamos que lo lea.

## Qué quedó expuesto y qué no

heading-exposed-person = Qué datos suyos quedaron expuestos
heading-exposed-org = Qué datos quedaron expuestos
heading-exposed-public = Qué datos quedaron expuestos
exposed-intro-person = El conjunto de datos expuesto incluía:
exposed-intro-org = Sobre estos miembros, el conjunto de datos expuesto incluía:
exposed-intro-public = Si tenía una cuenta en { $controller }, el conjunto de datos expuesto puede incluir lo siguiente sobre usted:
sensitive-exposed-person = Algunos de estos datos son sensibles. Le pedimos que siga hoy mismo los primeros pasos que se indican más abajo.
sensitive-exposed-org = Algunos de estos datos son sensibles. Le pedimos que ponga en marcha hoy mismo los primeros pasos que se indican más abajo.
heading-not-exposed = Qué no quedó expuesto
not-exposed-intro = El conjunto de datos expuesto no incluía:

cat-email = Su dirección de correo electrónico
cat-name = Su nombre
cat-phone = Su número de teléfono
cat-user-id = Su identificador interno de usuario (un número de referencia en nuestros sistemas)
cat-org-id = El identificador interno de su organización
cat-org-name = El nombre de su organización
cat-location = Su ubicación aproximada ({ $parts })
cat-ip = Su dirección IP
cat-os = Su sistema operativo
cat-browser = Su navegador
cat-os-browser = Su sistema operativo y su navegador
cat-device = Su tipo de dispositivo (por ejemplo, móvil u ordenador)
cat-referrer = El sitio web desde el que llegó a nosotros
cat-locale = Su configuración de idioma
cat-password = Su contraseña
cat-api-key = Sus claves de API
cat-payment = Sus datos de pago
cat-conversation = Sus conversaciones y el contenido de sus chats

cat-members-email = Direcciones de correo electrónico
cat-members-name = Nombres
cat-members-phone = Números de teléfono
cat-members-user-id = Identificadores internos de usuario
cat-members-org-id = El identificador interno de su organización
cat-members-org-name = El nombre de su organización
cat-members-location = Ubicaciones aproximadas ({ $parts })
cat-members-ip = Direcciones IP
cat-members-os = Sistemas operativos
cat-members-browser = Navegadores
cat-members-os-browser = Sistemas operativos y navegadores
cat-members-device = Tipos de dispositivo
cat-members-referrer = Los sitios web desde los que llegaron los miembros
cat-members-locale = Configuraciones de idioma
cat-members-password = Contraseñas
cat-members-api-key = Claves de API
cat-members-payment = Datos de pago
cat-members-conversation = Conversaciones y contenido de chats

loc-city = ciudad
loc-region = región
loc-country = país

## Qué puede significar

heading-consequences = Qué puede significar para usted
heading-consequences-org = Qué puede significar para su equipo
consequences-person-targeted = Quien tenga estos datos puede usarlos para enviarle mensajes de phishing: correos, SMS o llamadas que se hacen pasar por { $controller }, por otro servicio que usted utiliza o por un compañero de trabajo. Como pueden conocer datos como su nombre, su ciudad y su organización, estos mensajes pueden parecer creíbles. Normalmente intentan que inicie sesión en una página falsa, que comparta una contraseña o un código, o que haga un pago.
consequences-person-general = Por sí solos, estos datos son de poca utilidad para un atacante. Aun así, los delincuentes suelen aprovechar las noticias de una brecha para enviar mensajes de phishing que la mencionan, así que desconfíe de los mensajes inesperados sobre este incidente.
consequences-org-targeted = Los miembros de { $organisation } pueden recibir mensajes de phishing que se hacen pasar por { $controller }, por otro servicio o por alguien de su propio equipo. Como quienes los envían pueden conocer sus nombres, su ciudad y el nombre de { $organisation }, estos mensajes pueden parecer creíbles. Normalmente intentan que la persona inicie sesión en una página falsa, comparta una contraseña o un código, o haga un pago.
consequences-org-general = Por sí solos, estos datos son de poca utilidad para un atacante. Aun así, los delincuentes suelen aprovechar las noticias de una brecha para enviar mensajes de phishing que la mencionan, así que su equipo debe desconfiar de los mensajes inesperados sobre este incidente.
consequences-public-targeted = Si tenía una cuenta, puede recibir mensajes de phishing: correos, SMS o llamadas que se hacen pasar por { $controller }, por otro servicio que usted utiliza o por un compañero de trabajo. Como quienes los envían pueden conocer datos como su nombre, su ciudad y su organización, estos mensajes pueden parecer creíbles. Normalmente intentan que inicie sesión en una página falsa, que comparta una contraseña o un código, o que haga un pago.
consequences-public-general = Por sí solos, estos datos son de poca utilidad para un atacante. Aun así, los delincuentes suelen aprovechar las noticias de una brecha para enviar mensajes de phishing que la mencionan, así que desconfíe de los mensajes inesperados sobre este incidente.

## Qué hemos hecho

heading-measures = Qué hemos hecho
measures-empty = Seguimos investigando el incidente. Si averiguamos algo que cambie este aviso, se lo comunicaremos.

## Qué hacer

heading-advice-person = Qué debe hacer
heading-advice-org = Qué decirle a su equipo
advice-password = Cambie ahora su contraseña de { $controller }. Si usa la misma contraseña en otros sitios, cámbiela también allí.
advice-api-key = Revoque sus claves de API de { $controller } y cree otras nuevas. Después, actualícelas en todos los lugares donde se usan.
advice-payment = Revise los movimientos de su cuenta bancaria y de sus tarjetas, y avise de inmediato a su banco de cualquier pago que no reconozca.
advice-conversation = Sus conversaciones con nosotros quedaron expuestas. Piense en lo que compartió en ellas; si contenían contraseñas, claves u otros secretos, cámbielos.
advice-check-sender = Compruebe el remitente de cualquier mensaje sobre este incidente. Solo escribimos desde { $sender }, y la dirección del remitente debe terminar en uno de nuestros dominios oficiales, que figuran más abajo. Tenga cuidado con los dominios parecidos que añaden o cambian letras.
advice-no-secrets = Nunca le pediremos su contraseña, sus claves de API ni un código de un solo uso, ni por correo electrónico ni por teléfono ni por chat. Quien se los pida no somos nosotros.
advice-mfa = Active la autenticación multifactor (por ejemplo, con una aplicación de autenticación) en su cuenta de { $controller } y en su cuenta de correo electrónico.
advice-urgency = Desconfíe de los mensajes que le presionan para actuar de inmediato, amenazan con cerrar su cuenta o piden un pago. Tómese su tiempo y compruébelo.
advice-no-links = Este mensaje no contiene enlaces ni archivos adjuntos. Si un mensaje sobre este incidente le pide que inicie sesión a través de un enlace, no lo use: escriba usted mismo nuestra dirección en el navegador.
advice-no-links-public = Nuestros mensajes sobre este incidente no contienen enlaces ni archivos adjuntos. Si un mensaje sobre este incidente le pide que inicie sesión a través de un enlace, no lo use: escriba usted mismo nuestra dirección en el navegador.
advice-members-password = Pida a todos los miembros que cambien su contraseña de { $controller }, y también en cualquier otro sitio donde usen la misma.
advice-members-api-key = Revoque todas las claves de API de { $organisation } en { $controller }, cree otras nuevas y actualícelas en todos los sistemas que las usan.
advice-members-payment = Revise los pagos de { $organisation } y comunique a su banco cualquier pago que no reconozca.
advice-members-conversation = Las conversaciones de sus miembros quedaron expuestas. Pregúnteles si compartieron en ellas contraseñas, claves u otros secretos, y haga que los cambien.
advice-members-phishing = Advierta a su equipo de que puede recibir mensajes de phishing creíbles que mencionen su nombre, su ciudad o el nombre de { $organisation }.
advice-members-no-secrets = Recuérdeles que nunca pediremos contraseñas, claves de API ni códigos de un solo uso por correo electrónico, teléfono o chat.
advice-members-mfa = Exija la autenticación multifactor a todos los miembros de { $organisation } en { $controller } y recomiéndela también para sus cuentas de correo electrónico.
advice-members-report = Pídales que le avisen a usted o a su equipo de seguridad de cualquier mensaje sospechoso, en lugar de responder o hacer clic.

## Cómo reconocernos y a quién preguntar

heading-official-domains = Nuestros dominios oficiales
official-domains-intro = Los mensajes y sitios web auténticos de { $controller } solo usan estos dominios. Un dominio que solo se parece a ellos no es nuestro:
heading-contact = Preguntas y contacto
sender-statement = Este mensaje procede únicamente de { $sender }. No le escribiremos sobre este incidente desde ninguna otra dirección.
sender-statement-public = Nuestros mensajes sobre este incidente proceden únicamente de { $sender }.
dpo-contact = Si tiene preguntas, puede contactar con nuestro delegado de protección de datos en { $dpo }
complaint = También tiene derecho a presentar una reclamación ante una autoridad de control de protección de datos, en particular en el país donde vive o trabaja.
signoff =
    Atentamente,
    { $controller }
